"""Exports a Hugging Face causal-LM folder (e.g. one tformer wrote) to ONNX: ids -> logits.

The graph takes `input_ids` int64 [batch, seq] and returns `logits` float32 [batch, seq, vocab],
with no KV cache (each generation step runs the whole prefix), which keeps it to one input and
one output for onnxruntime-node. torch.onnx's dynamo exporter needs onnx and onnxscript
(`bash scripts/interop/setup-venv.sh --onnx`); transformers 5's masking code does not export
with the older TorchScript exporter (`aten::diff` is unsupported there).

usage: python export_onnx.py --folder runs/hf --out runs/hf/model.onnx
"""

import argparse

import torch
from transformers import AutoModelForCausalLM


class Logits(torch.nn.Module):
    """The model as ids -> logits, without the cache and the output dataclass."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, use_cache=False).logits


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model = AutoModelForCausalLM.from_pretrained(args.folder, dtype=torch.float32).eval()
    limit = model.config.max_position_embeddings
    batch = torch.export.Dim("batch", max=1024)
    seq = torch.export.Dim("seq", max=limit)
    example = torch.zeros((1, min(8, limit)), dtype=torch.long)
    torch.onnx.export(
        Logits(model),
        (example,),
        args.out,
        input_names=["input_ids"],
        output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: seq}},
        dynamo=True,
    )
    print(f"wrote {args.out} ({type(model).__name__}, ids [batch, seq <= {limit}] -> logits)")


if __name__ == "__main__":
    main()
