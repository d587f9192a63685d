"""Training: recipes (how to train), learning-rate schedules, `fit` into one resumable work
folder, and honest evaluation on the full val set."""

from tinylib.train.evaluation import evaluate, predict_probabilities
from tinylib.train.fitting import TrainingData, TrainingDiverged, fit, read_history_rows
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
    "read_history_rows",
    "recipe",
]
