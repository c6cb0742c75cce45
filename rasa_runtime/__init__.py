"""Running the Rasa server: `python -m rasa_runtime run ...` is `rasa run ...` plus fixes."""
