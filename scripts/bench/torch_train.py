"""PyTorch eager side of `pnpm --filter @tformer/bench compare`: trains nanoGPT's `baby` shape.

The model mirrors tformer's `DecoderLM` with `DECODER_LM_PRESETS.baby` and `gelu_tanh`: 4 pre-LN
blocks, 4 heads, d 128, ctx 64, no biases (LayerNorm included), learned positions, the output
projection tied to the token embedding, vocabulary 65. One step is what tformer's bench times:
forward, cross-entropy, backward, global-norm clipping at 1.0, AdamW (lr 1e-3, betas 0.9/0.99),
and reading the loss. Also measures the same run's rank-2 matmul rate ([768, 128] @ [128, 512],
the MLP's up-projection at batch 12), the denominator of model-FLOPs utilisation.

Prints (or writes to --out) one JSON object: torch version, threads, parameter count, per-step ms
after two warm-up steps, and the matmul GFLOP/s (the fastest of 30 timed products: the rate the
machine gives when the load lets it, so MFU is not inflated by a disturbed probe).

usage: python torch_train.py [--steps 8] [--threads 1] [--out result.json]
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn

VOCAB, CTX, LAYERS, HEADS, D, BATCH = 65, 64, 4, 4, 128, 12


class Block(nn.Module):
    """Pre-LN block: x + attention(ln(x)), then x + mlp(ln(x))."""

    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D, bias=False)
        self.qkv = nn.Linear(D, 3 * D, bias=False)
        self.out = nn.Linear(D, D, bias=False)
        self.ln2 = nn.LayerNorm(D, bias=False)
        self.up = nn.Linear(D, 4 * D, bias=False)
        self.down = nn.Linear(4 * D, D, bias=False)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        # [B, T, D] -> [B, nh, T, hs]
        q, k, v = (z.view(b, t, HEADS, D // HEADS).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        # [B, nh, T, hs] -> [B, T, D]
        x = x + self.out(y.transpose(1, 2).reshape(b, t, D))
        return x + self.down(F.gelu(self.up(self.ln2(x)), approximate="tanh"))


class Baby(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, D)
        self.positions = nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln = nn.LayerNorm(D, bias=False)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.ln(x) @ self.tokens.weight.T  # tied output projection, [B, T, V]


def matmul_gflops():
    a, b = torch.randn(BATCH * CTX, D), torch.randn(D, 4 * D)
    for _ in range(3):
        a @ b
    ms = []
    for _ in range(30):
        t0 = time.perf_counter()
        a @ b
        ms.append(time.perf_counter() - t0)
    return 2 * a.shape[0] * D * 4 * D / min(ms) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)
    model = Baby()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    ids = torch.randint(0, VOCAB, (BATCH, CTX + 1))
    x, y = ids[:, :-1], ids[:, 1:]
    matmul = [matmul_gflops()]
    ms = []
    for i in range(args.steps + 2):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss.item()
        if i >= 2:
            ms.append((time.perf_counter() - t0) * 1000)
    matmul.append(matmul_gflops())
    result = json.dumps({
        "torch": torch.__version__.split("+")[0],
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "msPerStep": ms,
        "matmulGflops": max(matmul),
    })
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(result + "\n")
    else:
        print(result)


if __name__ == "__main__":
    main()
