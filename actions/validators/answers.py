"""Reading a choice from a citizen's short answer that has extra words around it.

Pure functions for the form's questions: yes or no (`read_yes_no`), the privacy choice
(`read_privacy`), whether an attachment will follow (`read_attachment_answer`,
`read_no_attachment`) and the report type (`read_report_type`). They read casual
Indonesian with common Sundanese, Javanese and Betawi words, and English; each returns
None when the text does not answer the question, so the bot can ask again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from rapidfuzz.distance import OSA

#: Privacy choices (as stored in the `privacy` slot).
PUBLIC: Final = "public"
ANONYMOUS: Final = "anonymous"
CONFIDENTIAL: Final = "confidential"

#: Attachment answers.
NO_ATTACHMENT: Final = "none"
WILL_SEND: Final = "will_send"

#: Report types (SP4N-LAPOR!: pengaduan, aspirasi, permintaan informasi).
COMPLAINT: Final = "complaint"
ASPIRATION: Final = "aspiration"
INFORMATION: Final = "information"

#: Only the first words of a long answer are read.
MAX_WORDS: Final = 40

_YES: Final = frozenset(
    {
        "iya", "iyah", "iye", "iyo", "ya", "yah", "y", "yoi", "yo", "yup", "yap", "yep", "yes",
        "yeah", "yea", "bener", "benar", "betul", "btl", "bnr", "leres", "muhun", "nggih",
        "enggih", "enggeh", "inggih", "injih", "sip", "siap", "ok", "oke", "okey", "okay",
        "okeh", "boleh", "blh", "mangga", "setuju", "hooh", "hoh", "tepat", "sure", "correct",
        "right", "yess", "lanjut", "lanjutkan", "gas",
    }
)  # fmt: skip
_NO: Final = frozenset(
    {
        "bukan", "bkn", "salah", "tidak", "tdk", "nggak", "ngga", "nggk", "gak", "ga", "gk",
        "g", "enggak", "engga", "egak", "kagak", "kaga", "kgk", "ora", "teu", "henteu",
        "sanes", "mboten", "boten", "ndak", "nda", "tak", "jangan", "jgn", "no", "nope",
        "nah", "wrong", "incorrect", "not", "n", "batal",
    }
)  # fmt: skip
#: Words that say nothing by themselves around a yes or a no.
_FILLER: Final = frozenset(
    {
        "pak", "bu", "bapak", "ibu", "kak", "ka", "min", "admin", "mas", "mbak", "mba", "bang",
        "kang", "teh", "neng", "a", "om", "sis", "gan", "sir", "maam", "madam", "sudah",
        "udah", "udh", "sdh", "dah", "sekali", "banget", "bgt", "itu", "tuh", "deh", "dong",
        "kok", "sih", "aja", "saja", "lah", "nya", "oh", "ohh", "eh", "hmm", "hm", "wah",
        "that", "s", "is", "it", "its", "thats", "please", "pls", "thanks",
        "makasih", "terima", "kasih", "yg", "yang", "tersebut", "mah",
        "atuh", "euy", "lho", "loh", "kan", "juga", "jg", "semua", "semuanya",
        "lagi", "thank", "you",
    }
)  # fmt: skip
#: A negation before these means yes: "tidak salah", "gak papa".
_NEGATED_MEANS_YES: Final = frozenset({"salah", "papa", "apa", "masalah", "keberatan"})
_NEGATORS: Final = frozenset(
    {"tidak", "tdk", "nggak", "ngga", "gak", "ga", "gk", "enggak", "engga", "kagak", "ndak",
     "bukan", "not", "no", "ora", "teu", "henteu", "mboten", "tak", "jangan", "jgn", "usah",
     "perlu", "gausah", "gaperlu", "nggausah", "never", "dont", "don", "t"}
)  # fmt: skip
_WORDS_AS_NEGATION: Final = frozenset({"gpp", "gapapa", "nggapapa", "gakpapa", "tidakapaapa"})


def words_of(text: str, *, clauses: bool = False) -> list[str]:
    """Lower-case words of an answer, at most `MAX_WORDS`, with stretched endings cut.

    "Iyaaa bener!!" -> ["iya", "bener"]; "gakk" -> ["gak"]; "no. 12" -> ["no", "12"]; with
    `clauses`, "," stands between clauses: "bukan, salah" -> ["bukan", ",", "salah"].

    Args:
        text: The answer.
        clauses: Whether to keep a "," token where punctuation splits the answer.

    Returns:
        The words.
    """
    lowered = text.lower().replace("'", "").replace("\u2019", "")
    if clauses:
        lowered = re.sub(r"[,.;:!?]+", " , ", lowered)
    raw = re.sub(r"[^a-z0-9,]+" if clauses else r"[^a-z0-9]+", " ", lowered).split()
    return [_unstretch(word) for word in raw[:MAX_WORDS]]


def _unstretch(word: str) -> str:
    """A word without its stretched ending: "iyaaa" -> "iya", "gakk" -> "gak", "gpp" kept."""
    word = re.sub(r"([a-z])\1{2,}$", r"\1", word)
    return re.sub(r"([aeiouhksy])\1$", r"\1", word)


def read_yes_no(text: str) -> bool | None:
    """Whether an answer says yes (True) or no (False); None when it says neither.

    The yes or no must lead the answer ("ya pak betul", "bukan pak", "oh iya bener");
    "jalan rusak ya pak" is not an answer. A no anywhere beats a leading yes ("iya, eh
    bukan"), except a negated "salah"/"apa-apa" ("tidak salah", "gpp"), which is a yes.

    Args:
        text: The citizen's answer to a yes/no question.

    Returns:
        True, False or None.
    """
    words = [w for w in words_of(text, clauses=True) if w in _YES or w in _NO or w not in _FILLER]
    while words and words[0] == ",":
        words.pop(0)
    if not words:
        return None
    votes = _yes_no_votes(words)
    if not votes or votes[0][0] != 0:
        return None  # the answer does not start with a yes or a no
    return not any(vote is False for _, vote in votes)


def _yes_no_votes(words: Sequence[str]) -> list[tuple[int, bool]]:
    """(position, yes?) of each yes/no word; a negation and what it negates count once.

    A "," between clauses counts as a word, so "tidak, salah" is two noes.
    """
    votes: list[tuple[int, bool]] = []
    index = 0
    while index < len(words):
        word = words[index]
        after = words[index + 1] if index + 1 < len(words) else ""
        if word in _WORDS_AS_NEGATION:
            votes.append((index, True))
        elif word in _NEGATORS - {"bukan", "bkn"} and after in _NEGATED_MEANS_YES:
            votes.append((index, True))
            index += 1
        elif word == "no" and after.isdigit():
            index += 1  # "no 12": nomor
        elif word in _NO:
            votes.append((index, False))
        elif word in _YES:
            votes.append((index, True))
        index += 1
    return votes


# --- privacy -------------------------------------------------------------------------

_ANONYMOUS_WORDS: Final = frozenset(
    {"anonim", "anonym", "anonymous", "anonimous", "anon", "anonymously", "anonim2",
     "samaran", "inkognito"}
)  # fmt: skip
_CONFIDENTIAL_WORDS: Final = frozenset(
    {"rahasia", "rahasiakan", "dirahasiakan", "rahasiain", "dirahasiain", "confidential",
     "private", "privat", "pribadi", "secret", "tertutup", "rahasiah"}
)  # fmt: skip
_PUBLIC_WORDS: Final = frozenset(
    {"publik", "public", "publish", "biasa", "terbuka", "umum", "normal", "bebas",
     "ditampilkan", "tampilkan", "tampil", "dipublikasikan", "publikasikan", "open",
     "dipublish", "regular", "standard", "standar"}
)  # fmt: skip
#: Words that make a hiding word about the reporter ("nama jangan ditampilkan").
_IDENTITY_WORDS: Final = frozenset(
    {"nama", "identitas", "saya", "sy", "aku", "gue", "gw", "pelapor", "name", "identity",
     "me", "my", "diri", "data"}
)  # fmt: skip
_FOUND_OUT_WORDS: Final = frozenset(
    {"ketahuan", "ketauan", "ketawan", "diketahui", "tau", "tahu", "dikenali", "known",
     "sembunyikan", "disembunyikan", "samarkan", "disamarkan", "hide", "hidden"}
)  # fmt: skip
_HIDE_NEGATORS: Final = frozenset({"jangan", "jgn", "tidak", "tdk", "gak", "ga", "gk", "nggak",
                                   "ngga", "enggak", "dont", "don", "not", "no"})  # fmt: skip
_NEED_WORDS: Final = frozenset({"usah", "perlu", "need", "gausah", "gaperlu", "mesti"})


def read_privacy(text: str) -> str | None:
    """The privacy a citizen chose: "public", "anonymous" or "confidential"; else None.

    "anonim pak, jgn sampe ketauan sy yg lapor" -> anonymous; "rahasia aja, takut" ->
    confidential; "biasa aja", "publik", "boleh ditampilkan" -> public; "ga usah
    dirahasiakan" -> public; "nama saya jangan ditampilkan" -> anonymous.

    Args:
        text: The answer to the privacy question.

    Returns:
        The choice or None.
    """
    words = words_of(text)
    found: list[tuple[int, str]] = []
    for index, word in enumerate(words):
        choice = _privacy_of_word(words, index, word)
        if choice is not None:
            found.append((index, choice))
    if not found:
        return None
    kinds = {choice for _, choice in found}
    for choice in (ANONYMOUS, CONFIDENTIAL, PUBLIC):  # hiding the reporter wins
        if choice in kinds:
            return choice
    return None  # pragma: no cover - every choice is listed above


def _privacy_of_word(words: Sequence[str], index: int, word: str) -> str | None:
    """The privacy one word points to, with its neighbours."""
    before = words[max(0, index - 3) : index]
    near = words[max(0, index - 3) : index + 4]
    not_needed = any(w in _NEED_WORDS for w in before) or (
        any(w in _HIDE_NEGATORS for w in before[-1:]) and word not in _FOUND_OUT_WORDS
    )
    if _is(word, _ANONYMOUS_WORDS):
        return PUBLIC if not_needed else ANONYMOUS
    if _is(word, _CONFIDENTIAL_WORDS):
        if not_needed:
            return PUBLIC
        return (
            ANONYMOUS
            if any(w in {"nama", "identitas", "name", "identity"} for w in near)
            else (CONFIDENTIAL)
        )
    if word in _FOUND_OUT_WORDS and any(w in _HIDE_NEGATORS | {"takut"} for w in before):
        return ANONYMOUS
    if word in {"sembunyikan", "disembunyikan", "samarkan", "disamarkan", "hide"}:
        return ANONYMOUS
    if _is(word, _PUBLIC_WORDS):
        if any(w in _HIDE_NEGATORS for w in before[-2:]):
            hides_identity = any(w in _IDENTITY_WORDS for w in words[max(0, index - 4) : index])
            return ANONYMOUS if hides_identity else CONFIDENTIAL
        return PUBLIC
    return None


def _is(word: str, vocabulary: frozenset[str]) -> bool:
    """Whether a word is in a vocabulary, allowing one typo in words of 6+ letters."""
    if word in vocabulary:
        return True
    if len(word) < 6:
        return False
    return any(len(v) >= 6 and OSA.distance(word, v, score_cutoff=1) <= 1 for v in vocabulary)


# --- attachments ---------------------------------------------------------------------

_NOTHING_WORDS: Final = frozenset(
    {"gaada", "gada", "gakada", "tidakada", "ngaada", "nggaada", "skip", "skp", "lewati",
     "lewat", "lanjut", "lanjutkan", "next", "none", "nothing", "kosong", "tanpa", "without",
     "later", "nanti", "ntar", "nnti", "entar", "belum", "blm", "no", "nope", "gausah",
     "gaperlu", "nggausah", "moal"}
)  # fmt: skip
_SEND_WORDS: Final = frozenset(
    {"ada", "aya", "wonten", "ono", "ana", "kirim", "dikirim", "kirimkan", "kirimin", "send",
     "sending", "upload", "unggah", "sebentar", "bentar", "bntr", "tunggu", "tggu", "otw",
     "ini", "nih", "berikut", "attached", "here", "yes", "have", "punya", "foto", "fotonya"}
)  # fmt: skip
#: Words that, before a sending word, make it a no ("gk ada", "teu aya", "ora ono").
_ABSENT_NEGATORS: Final = _NEGATORS | frozenset({"ora", "teu", "henteu", "mboten", "boten",
                                                  "belum", "blm", "g", "gk", "kagak", "kaga",
                                                  "moal", "nanti", "ntar"})  # fmt: skip
#: "Nanti saya kirim": sending later is still sending.
_LATER: Final = frozenset({"nanti", "ntar", "nnti", "entar", "later"})
_SEND_VERBS: Final = frozenset({"kirim", "dikirim", "kirimkan", "kirimin", "send", "upload",
                                "unggah", "nyusul", "menyusul"})  # fmt: skip


def read_attachment_answer(text: str) -> str | None:
    """Whether a citizen has a photo or file to send: "none", "will_send" or None.

    "gk ada pak", "teu aya", "tidak ada foto", "nanti aja", "skip", "no" -> "none";
    "mangga kirim", "ada, sebentar", "nanti saya kirim", "ini fotonya" -> "will_send".

    Args:
        text: The answer to "is there a photo or a document?".

    Returns:
        The answer or None when it says neither.
    """
    words = [w for w in words_of(text) if w not in _FILLER or w in _SEND_WORDS]
    if not words:
        return None
    joined = "".join(words)
    if joined in _NOTHING_WORDS or joined in {"tidakada", "gakada", "gaada", "nggakada"}:
        return NO_ATTACHMENT
    for index, word in enumerate(words):
        if word in _SEND_WORDS | _SEND_VERBS and _negated(words, index):
            return NO_ATTACHMENT
        if word in _SEND_VERBS and any(w in _LATER for w in words[max(0, index - 3) : index]):
            return WILL_SEND
    if any(word in _NOTHING_WORDS for word in words[:3]):
        return NO_ATTACHMENT
    if read_yes_no(text) is False:
        return NO_ATTACHMENT
    if any(word in _SEND_WORDS | _SEND_VERBS for word in words):
        return WILL_SEND
    if read_yes_no(text) is True:
        return WILL_SEND
    return None


def _negated(words: Sequence[str], index: int) -> bool:
    """Whether the word at `index` is negated: "gk ada", "ga bisa kirim", "gak usah kirim"."""
    before = words[index - 1] if index else ""
    if before in _ABSENT_NEGATORS:
        return True
    helper = before in {"bisa", "mau", "usah", "perlu"}
    return helper and index > 1 and words[index - 2] in _ABSENT_NEGATORS


def read_no_attachment(text: str) -> bool:
    """Whether a citizen says there is nothing to attach (or not now).

    Args:
        text: The answer to "is there a photo or a document?".

    Returns:
        True for "gk ada pak", "teu aya", "skip", "nanti aja", "no"; False otherwise.
    """
    return read_attachment_answer(text) == NO_ATTACHMENT


# --- report type ---------------------------------------------------------------------

_REPORT_TYPE_WORDS: Final[dict[str, frozenset[str]]] = {
    COMPLAINT: frozenset(
        {"keluhan", "mengeluh", "ngeluh", "keluh", "komplain", "complain", "complaint",
         "pengaduan", "aduan", "mengadu", "ngadu", "adukan", "protes", "keberatan",
         "melaporkan", "lapor", "laporan", "report", "problem", "masalah"}
    ),
    ASPIRATION: frozenset(
        {"aspirasi", "usul", "usulan", "mengusulkan", "usulkan", "saran", "menyarankan",
         "sarankan", "masukan", "ide", "gagasan", "suggestion", "suggest", "idea",
         "proposal", "propose", "aspiration", "harapan", "rekomendasi"}
    ),
    INFORMATION: frozenset(
        {"informasi", "info", "tanya", "bertanya", "nanya", "tanyakan", "menanyakan",
         "pertanyaan", "question", "ask", "asking", "information", "inquiry", "enquiry",
         "nanyain"}
    ),
}  # fmt: skip
#: Words of a lower priority: they count only when no other type word is there.
_WEAK_REPORT_WORDS: Final = frozenset({"lapor", "laporan", "report", "masalah", "problem"})


def read_report_type(text: str) -> str | None:
    """The report type a citizen chose: "complaint", "aspiration", "information" or None.

    "mau ngadu", "keluhan" -> complaint; "usul aja", "saran buat pemda" -> aspiration;
    "mau tanya info" -> information. A negated type is skipped ("bukan keluhan, cuma
    saran" is an aspiration); of several, the first written wins.

    Args:
        text: The answer to "pengaduan, aspirasi atau permintaan informasi?".

    Returns:
        The type or None.
    """
    words = words_of(text)
    strong: list[str] = []
    weak: list[str] = []
    for index, word in enumerate(words):
        before = words[max(0, index - 2) : index]
        if any(w in {"bukan", "bkn", "tidak", "tdk", "not", "gak", "ga", "nggak"} for w in before):
            continue
        for kind, vocabulary in _REPORT_TYPE_WORDS.items():
            if _is(word, vocabulary):
                (weak if word in _WEAK_REPORT_WORDS else strong).append(kind)
                break
    found = strong or weak
    return found[0] if found else None
