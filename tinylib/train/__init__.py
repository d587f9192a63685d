"""Training: recipes (how to train), learning-rate schedules, the range test that finds a rate,
device policy, and `fit` into one resumable work folder."""

from tinylib.data.arrays import TrainingData
from tinylib.inference import evaluate, predict_probabilities
from tinylib.train.fitting import TrainingDiverged, fit
from tinylib.train.lr_finder import RangeTest, find_learning_rate
from tinylib.train.recipes import RECIPES, Recipe, recipe
from tinylib.train.schedules import CyclicalLearningRate, OneCycle, WarmupCosine

__all__ = [
    "RECIPES",
    "CyclicalLearningRate",
    "OneCycle",
    "RangeTest",
    "Recipe",
    "TrainingData",
    "TrainingDiverged",
    "WarmupCosine",
    "evaluate",
    "find_learning_rate",
    "fit",
    "predict_probabilities",
    "recipe",
]
