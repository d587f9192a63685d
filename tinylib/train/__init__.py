"""Training: recipes (how to train), learning-rate schedules, device policy, and `fit` into
one resumable work folder."""

from tinylib.data.arrays import TrainingData
from tinylib.inference import evaluate, predict_probabilities
from tinylib.train.fitting import TrainingDiverged, fit
from tinylib.train.recipes import RECIPES, Recipe, recipe
from tinylib.train.schedules import CyclicalLearningRate, OneCycle, WarmupCosine

__all__ = [
    "RECIPES",
    "CyclicalLearningRate",
    "OneCycle",
    "Recipe",
    "TrainingData",
    "TrainingDiverged",
    "WarmupCosine",
    "evaluate",
    "fit",
    "predict_probabilities",
    "recipe",
]
