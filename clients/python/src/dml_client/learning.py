"""Federated learning on a device, in pure Python (docs/learning.md): the weights file, labelled
CSV data, and local mini-batch SGD (with FedProx's proximal term) for the three model kinds —
logistic, softmax and the MLP — enough to take part in plain (not secure-aggregation, not
DP-SGD) federated rounds. Plans with secure aggregation or DP-SGD need ``dml fl worker``."""
from __future__ import annotations

import hashlib
import json
import math
import random
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .errors import DMLError

__all__ = ["ModelWeights", "Dataset", "train", "plan_digest", "KINDS"]

KINDS = ("logistic", "softmax", "mlp")
MAGIC = b"DMLW"


@dataclass
class ModelWeights:
    """A model: its kind, layer widths (input first) and flat float32 parameters (per layer the
    weight matrix, inputs × outputs row-major, then the bias)."""

    kind: str
    widths: List[int]
    parameters: List[float]

    @staticmethod
    def parameter_count(widths: Sequence[int]) -> int:
        return sum(widths[i] * widths[i + 1] + widths[i + 1] for i in range(len(widths) - 1))

    def encode(self) -> bytes:
        if self.kind not in KINDS:
            raise DMLError(0, "client.bad_model", f"kind must be one of {', '.join(KINDS)}")
        if len(self.parameters) != self.parameter_count(self.widths):
            raise DMLError(0, "client.bad_model", f"{len(self.parameters)} parameters, the widths need {self.parameter_count(self.widths)}")
        head = MAGIC + struct.pack("<BBH", 1, KINDS.index(self.kind), len(self.widths))
        head += struct.pack(f"<{len(self.widths)}I", *self.widths) + struct.pack("<I", len(self.parameters))
        return head + struct.pack(f"<{len(self.parameters)}f", *self.parameters)

    @classmethod
    def decode(cls, data: bytes) -> "ModelWeights":
        def fail(offset: int, reason: str) -> DMLError:
            return DMLError(0, "client.bad_weights", f"weights file, offset {offset}: {reason}")

        if len(data) < 8 or data[:4] != MAGIC:
            raise fail(0, "the magic is not DMLW")
        version, kind, layers = struct.unpack_from("<BBH", data, 4)
        if version != 1:
            raise fail(4, f"version {version}, expected 1")
        if kind >= len(KINDS):
            raise fail(5, f"kind {kind} is not 0, 1 or 2")
        if not 2 <= layers <= 4:
            raise fail(6, f"{layers} layer widths, 2 to 4 allowed")
        if len(data) < 12 + 4 * layers:
            raise fail(8, "the file ends inside the header")
        widths = list(struct.unpack_from(f"<{layers}I", data, 8))
        (count,) = struct.unpack_from("<I", data, 8 + 4 * layers)
        if count != cls.parameter_count(widths):
            raise fail(8 + 4 * layers, f"{count} parameters, the widths need {cls.parameter_count(widths)}")
        start = 12 + 4 * layers
        if len(data) != start + 4 * count:
            raise fail(start, f"{len(data) - start} parameter bytes, expected {4 * count}")
        parameters = list(struct.unpack_from(f"<{count}f", data, start))
        if not all(math.isfinite(p) for p in parameters):
            raise fail(start, "a parameter is not finite")
        return cls(KINDS[kind], widths, parameters)

    @property
    def classes(self) -> int:
        return 2 if self.kind == "logistic" else self.widths[-1]


@dataclass
class Dataset:
    """Rows of features with a class label in the last column (a CSV as ``dml fl worker`` reads it)."""

    features: List[List[float]]
    labels: List[int]

    @classmethod
    def from_csv(cls, text: str, scale: float = 1.0) -> "Dataset":
        features: List[List[float]] = []
        labels: List[int] = []
        width: Optional[int] = None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            fields = [f.strip() for f in line.split(",")]
            try:
                values = [float(f) for f in fields[:-1]]
                label = int(fields[-1])
            except ValueError:
                if not features and number == 1:
                    continue  # a header line
                raise DMLError(0, "client.bad_data", f"line {number}: not numbers with a class label last") from None
            if len(fields) < 2 or label < 0:
                raise DMLError(0, "client.bad_data", f"line {number}: needs features and a non-negative class label")
            if width is not None and len(values) != width:
                raise DMLError(0, "client.bad_data", f"line {number}: {len(values)} features, earlier lines have {width}")
            width = len(values)
            features.append([v * scale for v in values])
            labels.append(label)
        if not features:
            raise DMLError(0, "client.bad_data", "the data has no rows")
        return cls(features, labels)

    @classmethod
    def from_file(cls, path: Union[str, Path], scale: float = 1.0) -> "Dataset":
        return cls.from_csv(Path(path).read_text(encoding="utf-8"), scale)

    @property
    def columns(self) -> int:
        return len(self.features[0])

    def __len__(self) -> int:
        return len(self.labels)


def _layers(model: ModelWeights) -> List[Tuple[int, int, int]]:
    """(offset, inputs, outputs) of each layer in the flat vector."""
    out, offset = [], 0
    for i in range(len(model.widths) - 1):
        inputs, outputs = model.widths[i], model.widths[i + 1]
        out.append((offset, inputs, outputs))
        offset += inputs * outputs + outputs
    return out


def _forward(model: ModelWeights, w: List[float], x: List[float]) -> Tuple[List[List[float]], List[float]]:
    """Activations of every layer (input first) and the class probabilities."""
    activations = [x]
    layers = _layers(model)
    for index, (offset, inputs, outputs) in enumerate(layers):
        a = activations[-1]
        z = [w[offset + inputs * outputs + j] for j in range(outputs)]
        for i in range(inputs):
            ai = a[i]
            if ai:
                row = offset + i * outputs
                for j in range(outputs):
                    z[j] += ai * w[row + j]
        if index < len(layers) - 1:
            z = [v if v > 0 else 0.0 for v in z]
        activations.append(z)
    logits = activations[-1]
    if model.kind == "logistic":
        p = 1 / (1 + math.exp(-logits[0])) if logits[0] >= 0 else math.exp(logits[0]) / (1 + math.exp(logits[0]))
        return activations, [1 - p, p]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return activations, [e / total for e in exps]


def _gradient(model: ModelWeights, w: List[float], x: List[float], label: int, gradient: List[float]) -> float:
    """Adds one example's cross-entropy gradient to ``gradient``; returns its loss."""
    activations, probabilities = _forward(model, w, x)
    loss = -math.log(max(probabilities[label], 1e-12))
    if model.kind == "logistic":
        delta = [probabilities[1] - label]
    else:
        delta = list(probabilities)
        delta[label] -= 1
    layers = _layers(model)
    for index in range(len(layers) - 1, -1, -1):
        offset, inputs, outputs = layers[index]
        a = activations[index]
        for i in range(inputs):
            ai = a[i]
            if ai:
                row = offset + i * outputs
                for j in range(outputs):
                    gradient[row + j] += ai * delta[j]
        bias = offset + inputs * outputs
        for j in range(outputs):
            gradient[bias + j] += delta[j]
        if index:
            previous = [0.0] * inputs
            for i in range(inputs):
                if a[i] > 0:  # ReLU's derivative
                    row = offset + i * outputs
                    previous[i] = sum(w[row + j] * delta[j] for j in range(outputs))
            delta = previous
    return loss


def train(model: ModelWeights, data: Dataset, training: Dict[str, Any], rng: Optional[random.Random] = None) -> Tuple[List[float], float]:
    """One round of local mini-batch SGD (``training`` is the plan's ``training``): returns the
    new parameters (as float32 values) and the mean training loss."""
    if training.get("differentialPrivacy"):
        raise DMLError(0, "client.unsupported_plan", "this Python device does not run DP-SGD; use dml fl worker for such plans")
    if len(data.features[0]) != model.widths[0]:
        raise DMLError(0, "client.bad_data", f"the data has {data.columns} features, the model takes {model.widths[0]}")
    if any(label >= model.classes for label in data.labels):
        raise DMLError(0, "client.bad_data", f"a label is not below the model's {model.classes} classes")
    rng = rng or random.Random()
    rate = float(training["learningRate"])
    batch_size = int(training["batchSize"])
    epochs = int(training["epochs"])
    mu = float(training.get("proximalMu") or 0)
    global_w = list(model.parameters)
    w = list(model.parameters)
    order = list(range(len(data)))
    losses: List[float] = []
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            gradient = [0.0] * len(w)
            loss = sum(_gradient(model, w, data.features[i], data.labels[i], gradient) for i in batch)
            scale = 1 / len(batch)
            for k in range(len(w)):
                g = gradient[k] * scale
                if mu:
                    g += mu * (w[k] - global_w[k])
                w[k] -= rate * g
            losses.append(loss * scale)
    as_f32 = list(struct.unpack(f"<{len(w)}f", struct.pack(f"<{len(w)}f", *w)))
    if not all(math.isfinite(v) for v in as_f32):
        raise DMLError(0, "client.diverged", "training diverged (a parameter is not finite): lower the learning rate")
    return as_f32, (sum(losses) / len(losses) if losses else 0.0)


def accuracy(model: ModelWeights, data: Dataset) -> float:
    right = 0
    for x, label in zip(data.features, data.labels):
        _, p = _forward(model, model.parameters, x)
        right += max(range(len(p)), key=p.__getitem__) == label
    return right / len(data)


def _canonical(value: Any) -> str:
    # Swift's JSONEncoder with sorted keys: integral doubles print without a fraction.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\\/", "/")
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_canonical(v)}" for k, v in sorted(value.items()) if v is not None) + "}"
    raise TypeError(f"cannot encode {type(value).__name__}")


def plan_digest(plan: Dict[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON (sorted keys): the digest the ledger keeps."""
    return hashlib.sha256(_canonical(plan).encode("utf-8")).hexdigest()
