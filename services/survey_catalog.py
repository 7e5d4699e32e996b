"""Published survey definitions: built-in templates installed on start, versions loaded as models."""

from __future__ import annotations

import json
from functools import lru_cache

from surveys import Survey, TemplateLoad, load_templates, survey_from_dict, survey_to_dict
from storage import surveys as survey_store
from storage.db import Database, engine_errors, is_race


def install_templates(db: Database, load: TemplateLoad | None = None) -> list[str]:
    """Publish each built-in template that the database does not have yet as
    version 1, open for responses. Existing surveys are never overwritten:
    an edited template reaches a database as a new version via the builder.
    Several processes starting at once on one database (PostgreSQL) each install what they find missing: the one
    whose insert of a survey wins publishes it, the others skip it."""
    load = load or load_templates()
    installed = []
    for survey in load.surveys.values():
        if survey_store.get_survey(db, survey.id) is not None:
            continue
        try:
            survey_store.create_survey(db, survey.id, survey.title, survey.kind, source="template")
        except engine_errors() as exc:
            if not is_race(exc):
                raise
            continue  # another app process starting at the same moment created it, and publishes it
        survey_store.publish_version(db, survey.id, survey_to_dict(survey))
        survey_store.set_status(db, survey.id, "open")
        installed.append(survey.id)
    return installed


@lru_cache(maxsize=256)
def _parse(definition_json: str) -> Survey:
    return survey_from_dict(json.loads(definition_json), "database")


def survey_version(db: Database, survey_id: str, version: int | None = None) -> tuple[Survey, int] | None:
    """The model of a published version (default: current) and its number.
    Parsed models are cached by definition text: published versions never change."""
    row = survey_store.get_survey(db, survey_id)
    if row is None or row.current_version is None:
        return None
    number = version or row.current_version
    definition = survey_store.version_definition_json(db, survey_id, number)
    if definition is None:
        return None
    return _parse(definition), number
