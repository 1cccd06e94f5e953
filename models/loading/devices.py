"""Where a model runs and in which precision, decided once from the config's ``device``.

``auto`` means the GPU when there is one (bf16 where the GPU supports it, else fp16: half the memory
and several times the speed of fp32 with no visible change in ViT5's output), else the CPU in fp32
(CPUs have no fast half-precision matmul). CPU thread counts follow the cores this process may use,
not the machine's, so a container or ``taskset`` limit is respected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pipeline.core.errors import VidocError


@dataclass(frozen=True)
class Placement:
    """A resolved device: ``"cpu"`` or ``"cuda"`` (optionally ``"cuda:N"``), and the torch dtype name."""

    device: str
    dtype: str

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU; torch is imported only here, on demand."""
    import torch

    return bool(torch.cuda.is_available())


def place(device: str, section: str) -> Placement:
    """Resolve the config's ``device`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``) for a torch model."""
    wanted = device.strip().lower()
    if wanted == "auto":
        wanted = "cuda" if cuda_available() else "cpu"
    if wanted == "cpu":
        return Placement("cpu", "float32")
    if wanted.startswith("cuda"):
        if not cuda_available():
            raise VidocError(
                f"{section}.device is '{device}' but no CUDA GPU is visible to torch.",
                "Set device: auto (or cpu), or install a CUDA build of torch on a machine with a GPU.",
            )
        import torch

        return Placement(wanted, "bfloat16" if torch.cuda.is_bf16_supported() else "float16")
    raise VidocError(f"{section}.device cannot be '{device}'.", "Choose one of: auto, cpu, cuda, cuda:N.")
