"""What a model's weights take in TPU memory: the parameter counts of the models the stacks and guides serve, the
bytes vLLM keeps per parameter, and the share of HBM it gives the model executor, each with its source."""

from __future__ import annotations

import re

# Parameter counts, in billions, as the models' Hugging Face pages state them ("Model size"), read 2026-11-25.
# gemma-3-27b-it: 27.4B (Gemma 3 technical report, arXiv:2503.19786, Table 1: 417M vision, 1,416M embedding and
# 25,600M non-embedding parameters).
MODEL_BILLION_PARAMETERS: dict[str, tuple[float, str]] = {
    "google/gemma-3-27b-it": (27.4, "https://huggingface.co/google/gemma-3-27b-it"),
    "meta-llama/Llama-3.1-8B-Instruct": (8.03, "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct"),
    "meta-llama/Llama-3.1-70B-Instruct": (70.6, "https://huggingface.co/meta-llama/Llama-3.1-70B-Instruct"),
}
# A repository name that states the size, as most do ("gemma-3-27b-it", "Qwen2.5-72B-Instruct"): the first
# "<number>B" standing on its own. Mixtures written "8x7B" state no total, and a quantized checkpoint keeps fewer
# bytes per parameter than BYTES_PER_PARAMETER: neither is estimated from its name.
SIZE_IN_NAME = re.compile(r"(?<![0-9A-Za-z.])([0-9]{1,4}(?:\.[0-9]{1,2})?)[bB](?![0-9A-Za-z])")
QUANTIZED_NAME = re.compile(r"awq|gptq|fp8|fp4|int4|int8|gguf|bnb|4bit|8bit|nf4|mlx|exl2|w4a16|w8a8|qat", re.I)

# vLLM serves in the checkpoint's dtype (`--dtype auto`; the program passes no --dtype or --quantization): bf16
# for these models, 2 bytes a parameter (vllm/config/model.py ModelConfig.dtype).
BYTES_PER_PARAMETER = 2
# The share of accelerator memory vLLM gives the model executor, weights and KV cache together (`--gpu-memory-
# utilization`, vllm/config/cache.py CacheConfig): 0.92 on vLLM's main branch, 0.9 in earlier releases; the
# larger is used, so only weights that cannot fit under either are refused.
VLLM_MEMORY_UTILIZATION = 0.92
VLLM_MEMORY_UTILIZATION_SOURCE = "vllm-project/vllm vllm/config/cache.py CacheConfig.gpu_memory_utilization"


def billion_parameters(model_id: str) -> tuple[float, str] | None:
    """(billions, where the number comes from) for a model of the table, or one whose name states its size."""
    if model_id in MODEL_BILLION_PARAMETERS:
        return MODEL_BILLION_PARAMETERS[model_id]
    name = model_id.rsplit("/", 1)[-1]
    match = SIZE_IN_NAME.search(name)
    if match and not QUANTIZED_NAME.search(name):
        return float(match[1]), f"the size in its name, {name}"
    return None
