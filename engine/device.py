"""Where the model runs: the GPU where llama.cpp was built with a GPU back end, else the CPU.

A pip install of llama-cpp-python builds llama.cpp for the CPU only, except on macOS, where
Metal is on by default; CUDA and Vulkan builds are chosen at install time (README, "A GPU
build"). llama.cpp says whether its build can offload (`llama_supports_gpu_offload()`, llama.h:
true for any back end with a GPU device). On "auto" every layer of the language model goes to
the GPU (`n_gpu_layers` -1) and so does mtmd's vision encoder (`use_gpu` in
mtmd_context_params, mtmd.h); "cpu" keeps both on the CPU, as before there was a choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Device(StrEnum):
    """The setting: the app's Settings dialog and `describe --device`."""

    AUTO = "auto"  # the GPU where llama.cpp has one, else the CPU
    CPU = "cpu"  # the CPU only


DEVICES = tuple(device.value for device in Device)
RAN_ON_GPU, RAN_ON_CPU = "gpu", "cpu"  # which one ran, as the status and the stats say it
# llama-cpp-python's Llama(n_gpu_layers=-1) offloads every layer (its docs: "-1 for all").
ALL_LAYERS = -1


@dataclass(frozen=True)
class Placement:
    ran_on: str  # RAN_ON_GPU or RAN_ON_CPU
    n_gpu_layers: int  # the language model's layers on the GPU
    is_encoder_on_gpu: bool  # mtmd's use_gpu
    reason: str  # plain words: why this device
    has_gpu_failed: bool = False  # the CPU runs the model because loading it onto the GPU failed

    @property
    def is_on_gpu(self) -> bool:
        return self.ran_on == RAN_ON_GPU


CPU_ONLY = Placement(RAN_ON_CPU, 0, False, "set to use the CPU only")
# After a GPU load failed (the GPU's memory too small for the pair, a driver llama.cpp cannot use):
# the same pair on the CPU, said in plain words rather than leaving the app without a model.
CPU_AFTER_GPU_FAILED = Placement(RAN_ON_CPU, 0, False,
                                 "the GPU could not load the model (too little GPU memory, or a driver problem), "
                                 "so the CPU runs it", has_gpu_failed=True)


def choose(setting: str, is_offload_supported: bool, has_gpu_failed: bool = False) -> Placement:
    """The device for `setting` (a Device value) given what this llama.cpp build can do, and
    whether loading onto its GPU has already failed in this worker."""
    if has_gpu_failed:
        return CPU_AFTER_GPU_FAILED
    if Device(setting) == Device.CPU:
        return CPU_ONLY
    if is_offload_supported:
        return Placement(RAN_ON_GPU, ALL_LAYERS, True, "llama.cpp was built with a GPU back end")
    return Placement(RAN_ON_CPU, 0, False, "this llama.cpp was built without a GPU back end")


def supports_gpu_offload() -> bool:
    """What the llama.cpp this process loads reports (imports llama_cpp: the worker's side)."""
    from engine import llama_library

    return bool(llama_library.load().llama_supports_gpu_offload())
