"""Training: the shared loop, the GAN and classifier trainers, checkpoints, diagnostics."""
from .checkpoint import CheckpointDir, CheckpointError, atomic_save, load_checkpoint
from .diagnostics import Diagnosis, TrainingDiagnostics, sample_spread
from .classifier import ClassifierTrainer, accuracy, predict, train_mnist_classifier
from .image2image import Pix2PixTrainer, translate
from .precision import Precision
from .trainer import GANTrainer, NonFiniteLossError, Trainer, adam, gradient_norm

__all__ = [
    "CheckpointDir", "CheckpointError", "ClassifierTrainer", "Diagnosis", "GANTrainer", "NonFiniteLossError",
    "Pix2PixTrainer", "Precision", "Trainer", "TrainingDiagnostics", "accuracy", "adam", "atomic_save", "gradient_norm",
    "load_checkpoint", "predict", "sample_spread", "train_mnist_classifier", "translate",
]
