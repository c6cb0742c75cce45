"""The complaint category classifier in `actions.routing`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from rapidfuzz import fuzz, process

from actions.routing import dataset
from actions.routing.__main__ import classify_stream, main, parse_request
from actions.routing.classifier import (
    CATCH_ALL_SHIFT,
    MODEL_FILENAME,
    CategoryClassifier,
    ModelNotTrainedError,
    Prediction,
    build_pipeline,
    load_or_train,
    meta_path,
    train_from_data,
)
from actions.routing.evaluation import Report, near_copies, score
from actions.routing.features import FEATURE_NAMES, lexicon_vector
from actions.routing.institutions import national_institution
from actions.routing.normalise import expand_abbreviation, normalise, translate_english

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = dataset.load_categories()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory holding a model trained once for this module on the real data."""
    directory = tmp_path_factory.mktemp("models")
    classifier = train_from_data()
    classifier.save(
        directory / MODEL_FILENAME,
        data_fingerprint=dataset.fingerprint(dataset.training_files()),
    )
    return directory


@pytest.fixture(scope="module")
def classifier(model_dir: Path) -> CategoryClassifier:
    """The classifier trained for this module."""
    return CategoryClassifier.load(model_dir / MODEL_FILENAME)


# --- normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("yg", "yang"),
        ("gk", "tidak"),
        ("ga", "tidak"),
        ("gak", "tidak"),
        ("tdk", "tidak"),
        ("jln", "jalan"),
        ("jl", "jalan"),
        ("bgt", "banget"),
        ("udh", "sudah"),
        ("udah", "sudah"),
        ("mksh", "terima kasih"),
        ("lampu", "lampu"),
    ],
)
def test_expand_abbreviation(token: str, expected: str) -> None:
    assert expand_abbreviation(token) == expected


def test_normalise_expands_chat_abbreviations_and_drops_punctuation() -> None:
    text = "Jln di dpn rmh gk diaspal udh 2thn bgt!!"
    assert normalise(text) == "jalan di depan rumah tidak diaspal sudah 2 tahun banget"


def test_normalise_handles_reduplication_stretching_and_glued_numbers() -> None:
    assert normalise("anak2 sekolah") == "anak anak sekolah"
    assert normalise("GELAAAP bangeeet") == "gelap banget"
    assert normalise("dimintai 150rb") == "dimintai 150 ribu"


def test_normalise_maps_english_complaint_words() -> None:
    assert normalise("The street lights are broken") == "the lampu jalan are rusak"
    assert translate_english("bridges") == "jembatan"
    assert translate_english("sekolah") == "sekolah"


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "https://example.org/x"])
def test_normalise_of_nothing_is_empty(text: str) -> None:
    assert normalise(text) == ""


# --- data hygiene ----------------------------------------------------------------------


def test_every_category_has_enough_training_and_heldout_examples() -> None:
    training = dataset.load_examples().counts()
    heldout = dataset.load_heldout().counts()
    assert set(training) == set(CATEGORIES)
    assert set(heldout) == set(CATEGORIES)
    assert min(training.values()) >= 70
    assert min(heldout.values()) >= 12


def test_heldout_texts_are_not_near_copies_of_training_texts() -> None:
    training = [normalise(text) for text in dataset.load_examples().texts]
    for text in dataset.load_heldout().texts:
        match = process.extractOne(normalise(text), training, scorer=fuzz.ratio)
        assert match is not None
        assert match[1] < 85, f"held-out {text!r} is close to training {match[0]!r}"


def test_categories_file_can_be_overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "categories.yaml"
    custom.write_text(
        yaml.safe_dump({"categories": [{"code": "a", "agency": "X"}, {"code": "b", "agency": "Y"}]})
    )
    monkeypatch.setenv("CATEGORIES_FILE", str(custom))
    assert dataset.categories_file() == custom
    assert {c.code: c.agency for c in dataset.load_categories().values()} == {"a": "X", "b": "Y"}


# --- predictions -----------------------------------------------------------------------


def test_predict_returns_a_known_category_with_sorted_distinct_alternatives(
    classifier: CategoryClassifier,
) -> None:
    prediction = classifier.predict("jalan depan rumah saya berlubang besar")
    assert prediction.category in CATEGORIES
    assert prediction.agency == CATEGORIES[prediction.category].agency
    assert 0.0 <= prediction.confidence <= 1.0
    assert len(prediction.alternatives) >= 2
    codes = [code for code, _ in prediction.alternatives]
    assert len(set(codes)) == len(codes)
    assert prediction.category not in codes
    assert all(code in CATEGORIES for code in codes)
    confidences = [prediction.confidence] + [conf for _, conf in prediction.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) <= 1.0 + 1e-9


def test_prediction_as_json(classifier: CategoryClassifier) -> None:
    answer = classifier.predict("banjir setinggi lutut di perumahan").to_dict()
    assert set(answer) == {
        "category",
        "agency",
        "confidence",
        "alternatives",
        "national_institution",
    }
    assert answer["national_institution"] is None
    assert all(set(alt) == {"category", "confidence"} for alt in answer["alternatives"])
    json.dumps(answer)


@pytest.mark.parametrize("text", ["", "   \n"])
def test_predict_rejects_empty_text(classifier: CategoryClassifier, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        classifier.predict(text)


def test_untrained_classifier_says_so() -> None:
    with pytest.raises(ModelNotTrainedError):
        CategoryClassifier({"a": "X"}).predict("lampu jalan mati")


CLEAR_EXAMPLES = {
    "pju": [
        "lampu pju di jalan raya cikupa mati",
        "lampu jalan depan rumah mati udah seminggu",
        "jalan raya balaraja gelap, lampu penerangan jalannya padam semua",
        "tiang lampu jalan di pasar kemis miring mau roboh",
        "pju kedap kedip terus di depan perumahan",
        "minta dipasang lampu jalan di jalan desa, gelap gulita kalau malam",
        "lampu jalan di jembatan mati semua",
        "bohlam lampu jalan di gang kami pecah",
        "penerangan jalan umum di jalan raya mauk mati total",
        "lampu jalan tenaga surya di desa sudah tidak menyala",
        "The street lights in our area are all off at night",
        "lampu pju mati, jalanan gelap dan rawan begal",
    ],
    "sampah": [
        "sampah numpuk 2 minggu gak diangkut",
        "truk sampah gak dateng ke komplek kami",
        "ada tps liar di pinggir jalan, bau banget",
        "tetangga bakar sampah tiap malam, asapnya masuk rumah",
        "sampah berserakan di pasar curug",
        "orang buang sampah sembarangan di lahan kosong",
        "tumpukan sampah di pinggir kali makin tinggi",
        "petugas kebersihan gak ngambil sampah di rt kami",
        "bak sampah di taman penuh dan meluber",
        "iuran sampah dibayar tapi sampah tidak diangkut",
        "Garbage has not been picked up for ten days",
        "sampah plastik menumpuk di ujung gang, banyak lalat",
    ],
    "adminduk": [
        "ktp elektronik saya belum jadi 3 bulan",
        "blangko e-ktp habis terus di disdukcapil",
        "kartu keluarga saya salah nama",
        "akta kelahiran anak belum terbit",
        "nik saya tidak terdaftar di dukcapil",
        "data nik ganda dengan orang lain",
        "akta kematian bapak saya belum jadi",
        "pindah domisili ke tigaraksa tapi kk baru belum jadi",
        "kia anak saya belum dicetak",
        "perekaman ktp di dukcapil antri dari subuh",
        "My ID card has still not been printed",
        "cetak ulang kk yang hilang lama sekali",
    ],
    "air_bersih": [
        "air pdam mati sudah 3 hari",
        "air pam keruh dan bau",
        "tagihan pdam bulan ini naik tiga kali lipat",
        "pipa pdam bocor di depan rumah",
        "aliran air pdam kecil sekali cuma netes",
        "meteran air rusak tapi tetap ditagih",
        "pasang baru pdam sudah bayar belum dipasang",
        "air leding berwarna kuning bau kaporit",
        "air pdam cuma ngalir tengah malam",
        "sumur kering minta bantuan air bersih",
        "Our tap water is brown and smells bad",
        "air tkr di perumahan mati tanpa pemberitahuan",
    ],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, code) for code, texts in CLEAR_EXAMPLES.items() for text in texts],
)
def test_clear_examples_map_to_their_category(
    classifier: CategoryClassifier, text: str, expected: str
) -> None:
    assert classifier.predict(text).category == expected


def test_heldout_accuracy(classifier: CategoryClassifier) -> None:
    heldout = dataset.load_heldout()
    report = score(classifier, heldout.texts, heldout.labels, "held-out")
    assert report.top1 >= 0.90, "\n".join(report.summary_lines())
    assert report.top3 >= 0.98, "\n".join(report.summary_lines())


def test_fast_scorer_matches_the_sklearn_pipeline(classifier: CategoryClassifier) -> None:
    texts = list(dataset.load_heldout().texts[:40])
    expected = classifier.pipeline.predict_proba(texts)
    rankings = classifier.rank_many(texts)
    classes = list(classifier.pipeline.classes_)
    for row, ranking in zip(expected, rankings, strict=True):
        got = np.array([dict(ranking)[code] for code in classes])
        np.testing.assert_allclose(got, row, rtol=1e-6, atol=1e-9)


# --- persistence -----------------------------------------------------------------------


def test_save_load_round_trip_gives_identical_predictions(
    classifier: CategoryClassifier, tmp_path: Path
) -> None:
    path = classifier.save(tmp_path / "nested" / "model.joblib", data_fingerprint="x")
    assert path.is_file()
    assert json.loads(meta_path(path).read_text())["data_fingerprint"] == "x"
    loaded = CategoryClassifier.load(path)
    texts = list(dataset.load_heldout().texts)
    assert loaded.rank_many(texts) == classifier.rank_many(texts)
    assert loaded.predict(texts[0]) == classifier.predict(texts[0])


def _write_small_dataset(directory: Path, extra: str = "") -> None:
    directory.mkdir(exist_ok=True)
    data = {
        "pju": ["lampu jalan mati", "pju padam gelap", "tiang lampu jalan roboh", extra or "pju"],
        "sampah": ["sampah numpuk", "truk sampah tidak datang", "tps liar bau"],
        "adminduk": ["ktp belum jadi", "kk salah nama", "akta lahir belum terbit"],
    }
    (directory / "small.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_load_or_train_reuses_a_current_model_and_retrains_a_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, model_dir = tmp_path / "data", tmp_path / "models"
    _write_small_dataset(data_dir)
    first = load_or_train(model_dir=model_dir, data_dir=data_dir)
    assert (model_dir / MODEL_FILENAME).is_file()
    assert set(first.categories) == {"pju", "sampah", "adminduk"}

    def no_training(*_: object) -> None:
        raise AssertionError("a current model must not be retrained")

    with monkeypatch.context() as patch:
        patch.setattr(CategoryClassifier, "train", no_training)
        again = load_or_train(model_dir=model_dir, data_dir=data_dir)
    assert again.predict("lampu jalan gelap").category == "pju"

    meta_before = json.loads(meta_path(model_dir / MODEL_FILENAME).read_text())
    _write_small_dataset(data_dir, extra="lampu penerangan jalan umum mati total")
    load_or_train(model_dir=model_dir, data_dir=data_dir)
    meta_after = json.loads(meta_path(model_dir / MODEL_FILENAME).read_text())
    assert meta_after["data_fingerprint"] != meta_before["data_fingerprint"]


def test_load_or_train_replaces_a_corrupt_model(tmp_path: Path) -> None:
    data_dir, model_dir = tmp_path / "data", tmp_path / "models"
    _write_small_dataset(data_dir)
    load_or_train(model_dir=model_dir, data_dir=data_dir)
    (model_dir / MODEL_FILENAME).write_bytes(b"not a model")
    classifier = load_or_train(model_dir=model_dir, data_dir=data_dir)
    assert classifier.predict("ktp belum jadi").category == "adminduk"


def test_model_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    _write_small_dataset(data_dir)
    monkeypatch.setenv("CLASSIFIER_MODEL_DIR", str(tmp_path / "env-models"))
    load_or_train(data_dir=data_dir)
    assert (tmp_path / "env-models" / MODEL_FILENAME).is_file()


# --- command line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"text": ""}', '"text" is empty'),
        ('{"txt": "lampu mati"}', 'missing the "text" field'),
        ('["lampu mati"]', "expected a JSON object"),
        ('{"text": 3}', "must be a string"),
        ("", "empty line"),
    ],
)
def test_parse_request_explains_bad_lines(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_request(line)


def test_classify_stream_answers_every_line(classifier: CategoryClassifier, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with out.open("w", encoding="utf-8") as stream:
        errors = classify_stream(classifier, ['{"text": "pipa pdam bocor"}\n', "oops\n"], stream)
    answers = [json.loads(line) for line in out.read_text().splitlines()]
    assert errors == 1
    assert answers[0]["category"] == "air_bersih"
    assert "error" in answers[1]


@pytest.fixture
def cli_env(model_dir: Path) -> Iterator[dict[str, str]]:
    """Environment for the CLI subprocess, pointing at the module's trained model."""
    yield {**os.environ, "CLASSIFIER_MODEL_DIR": str(model_dir)}


def test_cli_classify_writes_one_json_line_per_input_line(cli_env: dict[str, str]) -> None:
    lines = [
        json.dumps({"text": "lampu jalan mati di jalan raya cikupa"}),
        "this is not json",
        json.dumps({"text": "sampah numpuk gak diangkut"}),
    ]
    result = subprocess.run(
        [sys.executable, "-m", "actions.routing", "classify"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=cli_env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 3
    assert answers[0]["category"] == "pju"
    assert answers[0]["agency"] == CATEGORIES["pju"].agency
    assert 0 <= answers[0]["confidence"] <= 1
    assert len(answers[0]["alternatives"]) >= 2
    assert set(answers[1]) == {"error"}
    assert answers[1]["error"]
    assert answers[2]["category"] == "sampah"


# --- service names, national institutions and the catch-all --------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kartu askes ibu saya", "kartu askes bpjs kesehatan ibu saya"),
        ("BPJSTK saya belum cair", "bpjs ketenagakerjaan saya belum cair"),
        ("bangjo di pertigaan mati", "lampu merah di pertigaan mati"),
        ("dari pagi mati lampu", "dari pagi listrik padam"),
        ("akte lahir anak", "akta lahir anak"),
    ],
)
def test_normalise_maps_old_and_regional_service_names(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "category", "expected"),
    [
        ("Kartu KIS saya nonaktif waktu berobat", "kesehatan", "BPJS Kesehatan"),
        ("faskes tingkat 1 mau dipindah", "kesehatan", "BPJS Kesehatan"),
        ("klaim JHT sudah sebulan belum cair", "ketenagakerjaan", "BPJS Ketenagakerjaan"),
        (
            "bpjs saya belum cair padahal klaim sudah diverifikasi",
            "lainnya",
            "BPJS Ketenagakerjaan",
        ),
        ("bpjs ditolak di rumah sakit, disuruh bayar umum", "lainnya", "BPJS Kesehatan"),
        ("listrik padam dari semalam", "lainnya", "PLN"),
        ("gas elpiji 3 kg langka di warung", "lainnya", "Pertamina"),
        ("mau perpanjang paspor antreannya penuh", "lainnya", "Imigrasi"),
        ("NPWP online saya belum jadi", "lainnya", "Direktorat Jenderal Pajak"),
        ("KRL pagi selalu terlambat", "lalu_lintas", "PT KAI"),
        ("buat SKCK di polsek dipersulit", "lainnya", "Kepolisian (Polri)"),
    ],
)
def test_national_institution_is_named(text: str, category: str, expected: str) -> None:
    assert national_institution(normalise(text), category) == expected


@pytest.mark.parametrize(
    "text",
    [
        "jalan depan rumah berlubang besar",
        "parkir liar di jalan dekat kantor PLN bikin macet",
        "banjir di kolong tol setiap hujan",
        "polisi tidur di gang terlalu tinggi",
    ],
)
def test_no_national_institution_when_none_is_the_subject(text: str) -> None:
    assert national_institution(normalise(text), "lalu_lintas") is None


def test_a_text_naming_several_institutions_gets_the_one_of_its_category() -> None:
    text = normalise("listrik padam, lalu kartu KIS ditolak waktu berobat ke puskesmas")
    assert national_institution(text, "kesehatan") == "BPJS Kesehatan"
    assert national_institution(text, "lainnya") == "PLN"


def test_lexicon_features_flag_named_institutions() -> None:
    values = dict(zip(FEATURE_NAMES, lexicon_vector(normalise("token PLN gagal")), strict=True))
    assert values["institution:PLN"] == 1.0
    assert sum(values.values()) == 1.0
    assert not any(lexicon_vector(normalise("sampah numpuk di gang")))


def test_prediction_names_the_national_institution(classifier: CategoryClassifier) -> None:
    prediction = classifier.predict(
        "Kartu BPJS Kesehatan ditolak. Waktu berobat ke puskesmas kartu JKN saya dibilang "
        "tidak aktif padahal iuran sudah dibayar."
    )
    assert prediction.category == "kesehatan"
    assert prediction.national_institution == "BPJS Kesehatan"
    assert prediction.to_dict()["national_institution"] == "BPJS Kesehatan"


def test_prediction_stays_backward_compatible() -> None:
    prediction = Prediction(category="pju", agency="DISHUB", confidence=0.9)
    assert prediction.national_institution is None
    assert prediction.alternatives == []


#: Portal-style reports written for this test (a title, a longer body, several things
#: mentioned, national services); none is in the training data.
PORTAL_REPORTS = {
    "kesehatan": (
        "Peserta JKN ditolak poli. Selamat siang, ibu saya peserta KIS dari pemerintah, "
        "hari ini ke RSUD untuk kontrol jantung tapi petugas bilang rujukan dari faskes "
        "pertama sudah habis masanya dan harus bayar umum. KTP dan KK sudah kami bawa."
    ),
    "ketenagakerjaan": (
        "Pencairan JHT tertahan. Saya sudah keluar dari pabrik sejak 2 bulan, tapi waktu "
        "mau klaim bpjs tk ternyata perusahaan belum melaporkan saya nonaktif. HRD tidak "
        "bisa dihubungi. Mohon bantuannya, terima kasih."
    ),
    "pendidikan": (
        "Dana KIP belum diterima. Anak saya kelas 8 SMP negeri sudah terdaftar penerima "
        "Program Indonesia Pintar tapi sampai semester dua belum menerima apa pun, "
        "sekolah menyuruh tanya ke bank."
    ),
    "lalu_lintas": (
        "Angkot dan bus ngetem di depan stasiun. Setiap sore angkot dan bus ngetem di "
        "depan stasiun sampai macet panjang, juru parkir liar juga menambah semrawut. "
        "Mohon dishub menempatkan petugas."
    ),
    "lainnya": (
        "Pemadaman listrik tanpa pemberitahuan. Listrik PLN di kampung kami padam tiga "
        "hari berturut-turut tiap sore tanpa pemberitahuan, alat jahit warga tidak bisa "
        "dipakai. Mohon penjelasan."
    ),
    "adminduk": (
        "KK baru belum dicetak. Saya mengajukan perubahan kartu keluarga karena kelahiran "
        "anak kedua sejak bulan lalu di Disdukcapil, sampai sekarang belum selesai dan "
        "akta kelahiran anak juga belum terbit."
    ),
}


@pytest.mark.parametrize(("expected", "text"), sorted(PORTAL_REPORTS.items()))
def test_portal_style_reports_map_to_their_topic(
    classifier: CategoryClassifier, expected: str, text: str
) -> None:
    assert classifier.predict(text).category == expected


def test_catch_all_prior_is_lowered_after_training() -> None:
    texts = ["lampu jalan mati", "pju padam", "sampah numpuk", "truk sampah telat"]
    texts += ["mau tanya sesuatu", "info dong min"]
    labels = ["pju", "pju", "sampah", "sampah", "lainnya", "lainnya"]
    shifted = CategoryClassifier({"pju": "A", "sampah": "B", "lainnya": "C"})
    shifted.train(texts, labels)
    plain = build_pipeline().fit(texts, labels)
    lainnya = list(plain.classes_).index("lainnya")
    expected = plain.named_steps["model"].intercept_.copy()
    expected[lainnya] -= CATCH_ALL_SHIFT
    np.testing.assert_allclose(shifted.pipeline.named_steps["model"].intercept_, expected)
    text = "halo min mau tanya"
    assert dict(shifted.rank_many([text])[0])["lainnya"] < plain.predict_proba([text])[0][lainnya]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mohon bantuannya. Maaf pak saya bingung harus lapor ke mana, anak saya di SD "
            "negeri disuruh bayar uang buku dan uang kegiatan tiap bulan.",
            "pendidikan",
        ),
        (
            "Keluhan. Sudah lama ingin menyampaikan ini, setiap malam ada yang jualan "
            "minuman keras di warung ujung gang dan pemuda mabuk bikin ribut.",
            "ketertiban",
        ),
        ("Mau tanya cara bikin paspor untuk umroh, syaratnya apa saja?", "lainnya"),
    ],
)
def test_lainnya_only_when_no_specific_category_fits(
    classifier: CategoryClassifier, text: str, expected: str
) -> None:
    assert classifier.predict(text).category == expected


# --- evaluation on a JSONL file ----------------------------------------------------------


def test_load_jsonl_reads_text_and_category(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    rows = [{"text": "lampu jalan mati", "category": "pju", "authority": "regency"}]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n", encoding="utf-8")
    examples = dataset.load_jsonl(path, CATEGORIES)
    assert examples.texts == ("lampu jalan mati",)
    assert examples.labels == ("pju",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "not valid JSON"),
        ('{"text": "x", "category": "nope"}\n', "unknown category"),
        ('{"text": "", "category": "pju"}\n', "non-empty text"),
        ("\n", "no examples"),
    ],
)
def test_load_jsonl_explains_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(dataset.DatasetError, match=message):
        dataset.load_jsonl(path, CATEGORIES)


def test_confusion_table_counts_hits_and_mistakes() -> None:
    report = Report("t")
    report.add("pju", ["pju", "sampah"])
    report.add("pju", ["sampah", "pju"])
    report.add("sampah", ["sampah", "pju"])
    lines = report.confusion_table_lines()
    rows = {line.split()[1]: line.split()[2:] for line in lines[2:]}
    assert rows == {"pju": ["1", "1"], "sampah": [".", "1"]}


def test_cli_evaluate_data_scores_a_jsonl_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    small = dataset.Examples(
        texts=("lampu jalan mati", "pju padam gelap", "sampah numpuk", "tps liar bau", "ktp"),
        labels=("pju", "pju", "sampah", "sampah", "adminduk"),
    )
    monkeypatch.setattr(dataset, "load_examples", lambda *_, **__: small)
    path = tmp_path / "real.jsonl"
    rows = [
        {"text": "lampu jalan di gang gelap", "category": "pju"},
        {"text": "sampah bau", "category": "sampah"},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    assert main(["evaluate", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "real.jsonl: n=2  top-1=1.000" in out
    assert "confusion table" in out
    assert "Leak check: 0 training examples" in out


def test_cli_evaluate_data_rejects_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("oops\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(path)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_near_copies_finds_a_copied_evaluation_text() -> None:
    training = ["lampu jalan di gang mawar mati sudah seminggu", "sampah numpuk di pasar"]
    evaluation = ["Lampu jalan di gang Mawar mati sudah seminggu!", "ktp belum jadi"]
    found = near_copies(training, evaluation)
    assert [(train, evaluated) for _, train, evaluated in found] == [(training[0], evaluation[0])]
    assert found[0][0] > 0.9
    assert near_copies(training, [], 0.5) == []
