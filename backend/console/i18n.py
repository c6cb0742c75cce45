"""The console's interface text in Indonesian (default) and English."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

#: key -> (Indonesian, English)
TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("Konsol LAPOR! Kab. Tangerang", "LAPOR! Kab. Tangerang console"),
    "nav_reports": ("Laporan", "Reports"),
    "nav_conversations": ("Percakapan", "Conversations"),
    "nav_dashboard": ("Dasbor", "Dashboard"),
    "nav_users": ("Pengguna", "Users"),
    "nav_audit": ("Log audit", "Audit log"),
    "logout": ("Keluar", "Log out"),
    "login": ("Masuk", "Log in"),
    "login_title": ("Masuk ke konsol", "Log in to the console"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_failed": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "login_locked": (
        "Terlalu banyak percobaan gagal. Akun dikunci sampai {until}.",
        "Too many failed attempts. The account is locked until {until}.",
    ),
    "login_inactive": (
        "Akun ini dinonaktifkan. Hubungi administrator.",
        "This account is disabled. Contact an administrator.",
    ),
    "logged_out": ("Anda sudah keluar.", "You have logged out."),
    "session_expired": (
        "Sesi Anda berakhir. Silakan masuk lagi.",
        "Your session has ended. Please log in again.",
    ),
    "csrf_failed": (
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form has expired or is not valid. Reload the page and try again.",
    ),
    "forbidden": (
        "Anda tidak berwenang membuka halaman ini.",
        "You are not allowed to open this page.",
    ),
    "not_found": ("Halaman atau data tidak ditemukan.", "Page or record not found."),
    "bridge_running": ("Berjalan", "Running"),
    "bridge_stopped": ("Tidak berjalan", "Not running"),
    "bridge_last_success": ("Terakhir berhasil (UTC)", "Last success (UTC)"),
    "lapor_state": ("Status penerusan", "Forwarding state"),
    "lapor_state_pending": ("Menunggu diteruskan", "Waiting to be forwarded"),
    "lapor_state_forwarded": ("Sudah diteruskan", "Forwarded"),
    "lapor_state_failed": ("Gagal diteruskan", "Forwarding failed"),
    "lapor_state_review": ("Perlu diperiksa", "Needs a check"),
    "lapor_number": ("Nomor LAPOR!", "LAPOR! number"),
    "lapor_last_sync": ("Sinkron terakhir", "Last sync"),
    "lapor_error": ("Keterangan", "Detail"),
    "lapor_review_hint": (
        "Cari {tracking_id} di SP4N-LAPOR! (ada di tag dan baris terakhir isi laporan). "
        "Jika ada, catat nomornya; jika tidak ada, kirim ulang.",
        "Look for {tracking_id} in SP4N-LAPOR! (it is in the tags and the last line of "
        "the content). If it is there, record its number; if not, send it again.",
    ),
    "lapor_found_number": ("Nomor LAPOR! yang ditemukan", "LAPOR! number found"),
    "lapor_record": ("Catat nomor", "Record the number"),
    "lapor_resend": ("Kirim ulang", "Send again"),
    "lapor_number_missing": (
        "Tulis nomor LAPOR! yang ditemukan, atau pilih Kirim ulang.",
        "Write the LAPOR! number found, or choose Send again.",
    ),
    "database_busy": (
        "Sistem sedang sibuk dan tidak ada yang diubah. Tunggu beberapa detik, lalu muat "
        "ulang halaman atau kirim formulir lagi.",
        "The system is busy and nothing was changed. Wait a few seconds, then reload the "
        "page or send the form again.",
    ),
    "error_title": ("Terjadi kesalahan", "Something went wrong"),
    "back": ("Kembali", "Back"),
    "filter": ("Saring", "Filter"),
    "reset": ("Hapus saringan", "Clear filters"),
    "any": ("Semua", "Any"),
    "yes": ("Ya", "Yes"),
    "no": ("Tidak", "No"),
    "previous": ("Sebelumnya", "Previous"),
    "next": ("Berikutnya", "Next"),
    "page_of": ("Halaman {page} dari {pages} ({total} data)", "Page {page} of {pages} ({total})"),
    "none_found": ("Tidak ada data yang cocok.", "Nothing matches."),
    "tracking_id": ("Nomor tiket", "Tracking ID"),
    "status": ("Status", "Status"),
    "category": ("Kategori", "Category"),
    "agency": ("Instansi", "Agency"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "channel": ("Kanal", "Channel"),
    "created": ("Dibuat", "Created"),
    "updated": ("Diperbarui", "Updated"),
    "deadline": ("Tenggat", "Deadline"),
    "overdue_only": ("Hanya yang lewat tenggat", "Overdue only"),
    "overdue_by": ("Lewat {days} hari kerja", "Overdue by {days} working days"),
    "due_today": ("Jatuh tempo hari ini", "Due today"),
    "due_in": ("{days} hari kerja lagi", "Due in {days} working days"),
    "no_deadline": ("Tanpa tenggat", "No deadline"),
    "date_from": ("Dari tanggal", "From"),
    "date_to": ("Sampai tanggal", "To"),
    "report": ("Laporan", "Report"),
    "report_type": ("Jenis", "Type"),
    "description": ("Uraian", "Description"),
    "location": ("Lokasi", "Location"),
    "open_map": ("Buka peta", "Open map"),
    "incident_date": ("Tanggal kejadian", "Incident date"),
    "privacy": ("Kerahasiaan", "Privacy"),
    "reporter": ("Pelapor", "Reporter"),
    "name": ("Nama", "Name"),
    "phone": ("Telepon", "Phone"),
    "email": ("Email", "E-mail"),
    "chat": ("Chat", "Chat"),
    "reporter_hidden_anonymous": (
        "Laporan anonim: identitas pelapor tidak ditampilkan.",
        "Anonymous report: the reporter's identity is not shown.",
    ),
    "reporter_masked": (
        "Data pribadi disamarkan.",
        "Personal data is masked.",
    ),
    "reveal": ("Tampilkan data pribadi (dicatat di log audit)", "Show personal data (audited)"),
    "history": ("Riwayat status", "Status history"),
    "thread": ("Tanya jawab dengan pelapor", "Questions to the reporter"),
    "thread_empty": ("Belum ada pertanyaan atau tambahan.", "No questions or additions yet."),
    "thread_author_officer": ("Petugas", "Officer"),
    "thread_author_citizen": ("Pelapor", "Reporter"),
    "thread_kind_question": ("Pertanyaan", "Question"),
    "thread_kind_answer": ("Jawaban", "Answer"),
    "thread_kind_info": ("Informasi tambahan", "Added information"),
    "thread_kind_supporting": ("Dukungan warga lain", "Another citizen's support"),
    "thread_delivery": ("Pengiriman", "Delivery"),
    "ask_reporter": ("Tanya pelapor", "Ask the reporter"),
    "ask_hint": (
        "Pertanyaan dikirim ke chat pelapor. Laporan menunggu jawaban sampai {days} hari "
        "kerja, lalu ditutup bila tidak dijawab.",
        "The question goes to the reporter's chat. The report waits up to {days} working "
        "days for the answer, then is closed if unanswered.",
    ),
    "ask_send": ("Kirim pertanyaan", "Send the question"),
    "asked_saved": ("Pertanyaan dikirim ke pelapor.", "The question was sent to the reporter."),
    "waiting_for_reporter": (
        "Menunggu jawaban pelapor, paling lambat {due}.",
        "Waiting for the reporter's answer, until {due}.",
    ),
    "unread_answers": ("Jawaban belum dibaca", "Unread answers"),
    "unread_badge": ("Jawaban baru", "New answer"),
    "waiting_badge": ("Menunggu pelapor", "Waiting for reporter"),
    "takeover_title": ("Dijawab petugas", "Answered by a person"),
    "takeover_none": ("Bot sedang menjawab chat ini.", "The bot is answering this chat."),
    "take_over": ("Ambil alih chat", "Take over the chat"),
    "hand_back": ("Kembalikan ke bot", "Hand back to the bot"),
    "takeover_held_by": (
        "Chat ini sedang dijawab oleh {holder}.",
        "{holder} is answering this chat.",
    ),
    "takeover_yours": (
        "Anda sedang menjawab chat ini; bot diam sampai dikembalikan.",
        "You are answering this chat; the bot stays silent until you hand it back.",
    ),
    "takeover_message": ("Pesan untuk warga", "Message to the citizen"),
    "takeover_send": ("Kirim", "Send"),
    "written_by_person": ("ditulis petugas", "written by a person"),
    "attachments": ("Lampiran", "Attachments"),
    "no_attachments": ("Tidak ada lampiran.", "No attachments."),
    "notifications": ("Pemberitahuan ke warga", "Citizen notifications"),
    "rating": ("Penilaian warga", "Citizen rating"),
    "conversation_source": ("Percakapan asal", "Conversation it came from"),
    "change_status": ("Ubah status", "Change status"),
    "new_status": ("Status baru", "New status"),
    "note": ("Catatan untuk warga", "Note for the citizen"),
    "note_hint": (
        "Wajib untuk ditolak dan diarsipkan. Warga menerima catatan ini.",
        "Required for rejected and archived. The citizen receives this note.",
    ),
    "save_status": ("Simpan dan beri tahu warga", "Save and notify the citizen"),
    "status_saved": (
        "Status disimpan; warga akan diberi tahu.",
        "Status saved; the citizen will be notified.",
    ),
    "status_final": (
        "Status ini final; tidak bisa diubah lagi.",
        "This status is final; it cannot change.",
    ),
    "search": ("Cari", "Search"),
    "search_text": ("Cari teks", "Search text"),
    "intent": ("Intent", "Intent"),
    "had_fallback": ("Ada fallback", "Had a fallback"),
    "linked_report": ("Ada laporan", "Has a report"),
    "citizen": ("Warga", "Citizen"),
    "started": ("Mulai", "Started"),
    "last_activity": ("Aktivitas terakhir", "Last activity"),
    "outcome": ("Hasil", "Outcome"),
    "messages": ("Pesan", "Messages"),
    "export_jsonl": ("Ekspor JSONL", "Export JSONL"),
    "export_csv": ("Ekspor CSV", "Export CSV"),
    "transcript": ("Transkrip", "Transcript"),
    "bot": ("Bot", "Bot"),
    "users_title": ("Pengguna konsol", "Console users"),
    "role": ("Peran", "Role"),
    "active": ("Aktif", "Active"),
    "locked_until": ("Terkunci sampai", "Locked until"),
    "last_login": ("Terakhir masuk", "Last login"),
    "save_user": ("Simpan pengguna", "Save user"),
    "new_user": ("Tambah atau ubah pengguna", "Add or change a user"),
    "password_optional": (
        "Kata sandi (kosongkan untuk tidak mengubah; minimal 10 karakter)",
        "Password (leave empty to keep; at least 10 characters)",
    ),
    "disable": ("Nonaktifkan", "Disable"),
    "enable": ("Aktifkan", "Enable"),
    "unlock": ("Buka kunci", "Unlock"),
    "user_saved": ("Pengguna disimpan.", "User saved."),
    "audit_title": ("Log audit", "Audit log"),
    "time": ("Waktu", "Time"),
    "actor": ("Pelaku", "Actor"),
    "action": ("Tindakan", "Action"),
    "target": ("Objek", "Target"),
    "detail": ("Rincian", "Detail"),
    "dash_by_category": ("Laporan per kategori", "Reports by category"),
    "dash_by_kecamatan": ("Laporan per kecamatan", "Reports by kecamatan"),
    "dash_by_status": ("Laporan per status", "Reports by status"),
    "dash_median_verify": ("Median waktu verifikasi", "Median time to verify"),
    "dash_median_resolve": ("Median waktu penyelesaian", "Median time to resolve"),
    "dash_answers": ("Jawaban pelapor", "Reporters' answers"),
    "dash_of_questions": ("dari {questions} pertanyaan", "to {questions} questions"),
    "dash_median_answer": ("Median waktu jawaban pelapor", "Median time to the reporter's answer"),
    "dash_funnel": ("Corong percakapan bot", "The bot's completion funnel"),
    "dash_abandoned_by_step": ("Berhenti di langkah", "Abandoned at step"),
    "dash_fallback_rate": ("Tingkat fallback NLU", "NLU fallback rate"),
    "dash_total_reports": ("Total laporan", "Total reports"),
    "no_data": ("Belum ada data", "No data yet"),
    "hours": ("{value} jam", "{value} hours"),
    "days": ("{value} hari", "{value} days"),
    "language_switch": ("English", "Bahasa Indonesia"),
    "skip_to_content": ("Lewati ke isi", "Skip to content"),
    "outcome_report_filed": ("Laporan dibuat", "Report filed"),
    "outcome_abandoned": ("Ditinggalkan", "Abandoned"),
    "outcome_status_check": ("Cek status", "Status check"),
    "outcome_fallback": ("Tidak dipahami", "Fallback"),
    "outcome_in_progress": ("Berlangsung", "In progress"),
    "outcome_other": ("Lainnya", "Other"),
    "reports_linked": ("Laporan terkait", "Linked reports"),
    "sender": ("Pengirim", "Sender"),
    "reveal_conversation": (
        "Tampilkan data pribadi (dicatat di log audit)",
        "Show personal data (audited)",
    ),
    "masked_conversation": (
        "Nama, nomor telepon, NIK dan email disamarkan.",
        "Names, phone numbers, NIK and e-mail addresses are masked.",
    ),
    "kind_session_start": ("Sesi baru dimulai", "New session"),
    "kind_form_start": ("Formulir dimulai", "Form started"),
    "kind_form_stop": ("Formulir selesai", "Form ended"),
    "slot_set": ("Slot", "Slot"),
    "action_run": ("Aksi", "Action"),
    "tapped": ("Menekan tombol", "Tapped"),
    "attachment_sent": ("Lampiran", "Attachment"),
    "location_sent": ("Lokasi", "Location"),
    "no_transcript": (
        "Transkrip tidak tersedia di penyimpanan percakapan Rasa.",
        "The transcript is not in Rasa's conversation store.",
    ),
    "export_all": ("Ekspor hasil saringan", "Export the filtered list"),
    "funnel_started": ("Percakapan dimulai", "Conversations started"),
    "funnel_form": ("Mulai mengisi laporan", "Report form started"),
    "funnel_submitted": ("Laporan terkirim", "Reports submitted"),
    "funnel_abandoned": ("Ditinggalkan", "Abandoned"),
    "funnel_no_step": ("(belum ada pertanyaan)", "(no question yet)"),
    "of_messages": ("{fallbacks} dari {messages} pesan", "{fallbacks} of {messages} messages"),
    # Report statuses, types and privacy levels (`t("status_" ~ code)` in templates).
    "status_received": ("Diterima", "Received"),
    "status_verified": ("Diverifikasi", "Verified"),
    "status_in_progress": ("Ditindaklanjuti", "In progress"),
    "status_resolved": ("Selesai", "Resolved"),
    "status_closed": ("Ditutup", "Closed"),
    "status_rejected": ("Ditolak", "Rejected"),
    "status_archived": ("Diarsipkan", "Archived"),
    "type_complaint": ("Pengaduan", "Complaint"),
    "type_aspiration": ("Aspirasi", "Aspiration"),
    "type_information": ("Permintaan informasi", "Information request"),
    "privacy_public": ("Publik", "Public"),
    "privacy_anonymous": ("Anonim", "Anonymous"),
    "privacy_confidential": ("Rahasia", "Confidential"),
}


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)` for `language`; an unknown key shows itself (easy to spot)."""
    index = 1 if language == "en" else 0

    def t(key: str, **values: object) -> str:
        pair = TEXTS.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The language chosen with the switch, else the browser's if English, else Indonesian."""
    if cookie in LANGUAGES:
        return str(cookie)
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE
