"""Continues training a Hugging Face model folder (e.g. one tformer exported) with PyTorch DDP.

Every process loads the folder, takes its own random batches of the text (seed + rank), and DDP
averages the gradients, so N processes train like one with N times the batch. gloo on CPU, NCCL
when CUDA is there (one GPU per process); the script is the same on a laptop and on a cluster.
Rank 0 saves the trained model to --out as safetensors, copies the folder's tokenizer and
generation files unchanged, and writes --out/train_log.json: the loss of fixed validation
batches before and after, each step's loss averaged over the processes, and the logits of a
probe batch, which tformer's import must reproduce.

usage:
  torchrun --standalone --nproc_per_node=2 interop/python/train_ddp.py \
      --folder runs/hf --data input.txt --out runs/hf-ddp --steps 20
  multi-node: torchrun --nnodes=2 --node_rank=R --nproc_per_node=8 \
      --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 interop/python/train_ddp.py ...
"""

import argparse
import json
import os
import shutil
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from transformers import AutoModelForCausalLM, AutoTokenizer

COPIED = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", required=True, help="Hugging Face model folder with tokenizer.json")
    p.add_argument("--data", required=True, help="a UTF-8 text file")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=8, help="per process")
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-batches", type=int, default=4)
    return p.parse_args()


def batches(data, n, block, generator):
    starts = torch.randint(0, len(data) - block, (n,), generator=generator)
    return torch.stack([data[s : s + block] for s in starts.tolist()])


def mean_loss(model, xs):
    with torch.no_grad():
        return sum(model(input_ids=x, labels=x).loss.item() for x in xs) / len(xs)


def main():
    args = parse_args()
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if not cuda:
        # The processes of a node share its cores.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", 1))))

    tokenizer = AutoTokenizer.from_pretrained(args.folder)
    tokenizer.model_max_length = 1 << 62  # the whole text is one sequence; we cut blocks ourselves
    with open(args.data, encoding="utf-8") as f:
        ids = torch.tensor(tokenizer(f.read())["input_ids"], dtype=torch.long)
    model = AutoModelForCausalLM.from_pretrained(args.folder, dtype=torch.float32).to(device)
    block = min(args.block_size, model.config.max_position_embeddings)
    cut = int(len(ids) * 0.9)
    train, val = ids[:cut], ids[cut:]
    if len(val) <= block:
        raise SystemExit(f"{args.data}: {len(ids)} tokens is too short for blocks of {block}")

    # The same validation batches on every rank; training batches differ per rank.
    val_batches = [b.to(device) for b in batches(val, args.eval_batches * args.batch_size, block,
                                                   torch.Generator().manual_seed(args.seed)).split(args.batch_size)]
    model.eval()
    val_before = mean_loss(model, val_batches)
    ddp = DistributedDataParallel(model, device_ids=[local] if cuda else None)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=0.1)
    generator = torch.Generator().manual_seed(args.seed + 1 + rank)
    model.train()
    losses = []
    start = time.time()
    for step in range(args.steps):
        x = batches(train, args.batch_size, block, generator).to(device)
        loss = ddp(input_ids=x, labels=x).loss  # labels shift inside the model
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP all-reduces (averages) the gradients here
        torch.nn.utils.clip_grad_norm_(ddp.parameters(), 1.0)
        optimizer.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        losses.append(mean.item() / world)
        if rank == 0:
            print(f"step {step + 1:3d}/{args.steps}  loss {losses[-1]:.4f}  "
                  f"({time.time() - start:.1f}s, {world} processes)", flush=True)
    model.eval()
    val_after = mean_loss(model, val_batches)

    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        model.save_pretrained(args.out, safe_serialization=True)
        for name in COPIED:
            if os.path.exists(os.path.join(args.folder, name)):
                shutil.copy(os.path.join(args.folder, name), os.path.join(args.out, name))
        probe = val_batches[0][:2, : min(16, block)]
        with torch.no_grad():
            logits = model(input_ids=probe).logits
        log = {
            "processes": world,
            "backend": dist.get_backend(),
            "steps": args.steps,
            "tokensPerStep": world * args.batch_size * block,
            "valLossBefore": val_before,
            "valLossAfter": val_after,
            "trainLosses": losses,
            "seconds": time.time() - start,
            "textIdsHead": ids[:64].tolist(),
            "probeIds": probe.tolist(),
            "probeLogits": logits.tolist(),
        }
        with open(os.path.join(args.out, "train_log.json"), "w") as f:
            json.dump(log, f)
        print(f"validation loss {val_before:.4f} -> {val_after:.4f}; saved {args.out}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
