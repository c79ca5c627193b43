"""The book's trained models: named recipes, one command to train them, and the shipped files.

``recipes`` names every model (networks, data, loss, steps, batch, optimiser, seed); ``tasks``
builds the bundled offline data; ``build`` turns a recipe into a gansrc trainer; ``run`` trains
it with checkpoints and writes the shipped files; ``scores`` measures the record's metrics;
``shipped`` writes, checks and loads the files. ``python -m gansrc.trained train all`` (or
``make trained``) trains them all; ``load_trained(NAME)`` loads one, checked against its record.
"""
from .recipes import RECIPES, Recipe, recipe
from .shipped import TrainedModel, TrainedModelError, load_trained, read_record, trained_dir

__all__ = ["RECIPES", "Recipe", "TrainedModel", "TrainedModelError", "load_trained", "read_record", "recipe", "trained_dir"]
