"""Every session-state key the app uses, named once."""

USER = "minyi.user"  # auth.principal.Principal of the signed-in staff member
LANG = "minyi.lang"  # "zh" | "en"
LANG_REMEMBER = "minyi.lang.remember"  # ui/session.py: a language just chosen, to store in a cookie on the next run
FILL = "minyi.fill"  # pages/fill.py: token -> the resident's fill state (page, answers, client key, done)
FILL_DRAFT_ID = "minyi.fill.draft_id"  # ui/drafts.py: this browser's draft id (its minyi_draft cookie, or a new one)
FILL_DRAFT_COOKIE = "minyi.fill.draft_cookie"  # ui/drafts.py: True while the new draft id's cookie is still to be set
VISIT_KEYS = "minyi.visits.client_keys"  # pages/visits.py: household id -> client key created when its form is first shown
VISIT_ERRORS = "minyi.visits.errors"  # pages/visits.py: household id -> answer errors of the last save attempt
VISIT_SAVED = "minyi.visits.saved"  # pages/visits.py: (visit id, created) of the last save, for the message
BUILDER_QUESTION = "minyi.builder.question"  # pages/builder.py: id of the question open in the editor
BUILDER_NOTICE = "minyi.builder.notice"  # pages/builder.py: (i18n key, params) of the last action's message
PAPER_PLAN = "minyi.paper.plan"  # pages/survey_import.py: the checked paper-import plan awaiting confirmation
DASH_FILTERS = "minyi.dash.filters"  # pages/dashboard*.py: the leader's filter choices, kept across the dashboard pages
DASH_PAGE = "minyi.dash.page"  # ui/dashboard.py: the dashboard page running now (its widgets' keys carry it)
DASH_UNIT = "minyi.dash.unit"  # pages/dashboard*.py: id of the unit the dashboards are drilled into
DASH_LIVE = "minyi.dash.live"  # pages/dashboard*.py: (live on, interval seconds)
DASH_WORD = "minyi.dash.word"  # pages/dashboard_voices.py: the word whose texts are shown
DASH_EXPORT = "minyi.dash.export"  # pages/dashboard.py: prepared export files (name -> single-use /download link)
BUILDER_SWITCH_TO = "minyi.builder.switch_to"  # pages/builder.py: survey id to select on the next run (set after the chooser exists)
DOWNLOAD_LINKS = "minyi.download_links"  # ui/downloads.py: export key -> its single-use /download link
IMPORT_JOBS = "minyi.import.jobs"  # ui/import_job.py: slot -> (file digest, services.uploads.ImportJob) of a long import
BACKUP_LINK = "minyi.backup.link"  # pages/backups.py: (backup name, its single-use /download link) just prepared
BACKUP_NOTICE = "minyi.backup.notice"  # pages/backups.py: (level, i18n key) of the last "back up now" press
BACKUP_WAS_BUSY = "minyi.backup.was_busy"  # pages/backups.py: a backup was running at the status's last look
