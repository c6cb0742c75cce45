"""Custom Rasa NLU components."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.language import detect_language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (`id` or `en`) to messages whose language is clear.

    The `language` slot maps from this entity, and responses have English
    variations conditioned on that slot.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Create the component (nothing to train or load)."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Tag each message with its language when it can be told."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):  # a button payload, not words
                continue
            language = detect_language(text)
            if language is None:
                continue
            entity = {
                "entity": LANGUAGE_ENTITY,
                "value": language,
                "start": 0,
                "end": len(text),
                "confidence": 1.0,
            }
            entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
