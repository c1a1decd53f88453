"""Loads tformer-exported Hugging Face folders with transformers and reports what they compute.

Used by the interop tests (packages/model/src/hf/hf-python.test.ts): they compare the numbers
written here with tformer's own. One process handles every folder (torch's import is the slow
part). Steps per job of --jobs:
  1. AutoModelForCausalLM.from_pretrained(folder) in float32; the class must be expectClass.
  2. logits of --ids (a JSON list of equal-length id lists), and greedy generation of
     --new-tokens tokens from the first row (do_sample=False).
  3. with saveBack DIR: one AdamW step on the language-modelling loss of --ids (so the weights
     the other side reads back differ from those it wrote), save_pretrained(DIR) as safetensors,
     and the logits of the updated model.
Writes a JSON list to --out, one object per job: class, logits, greedy, and with saveBack
lossBefore, lossAfter, logitsAfter.

usage: python hf_check.py --jobs jobs.json --ids '[[1,2,3]]' --out results.json [--new-tokens 8]
"""

import argparse
import json

import torch
from transformers import AutoModelForCausalLM


def lm_loss(model, ids):
    return model(input_ids=ids, labels=ids).loss


def check(job, ids, new_tokens, lr):
    """One folder: its class, logits, greedy tokens; one training step and a save back."""
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(job["folder"], dtype=torch.float32)
    cls = type(model).__name__
    if job.get("expectClass") and cls != job["expectClass"]:
        raise SystemExit(f"{job['folder']} loaded as {cls}, expected {job['expectClass']}")
    model.eval()
    result = {"class": cls}
    with torch.no_grad():
        result["logits"] = model(input_ids=ids).logits.tolist()
        prompt = ids[:1]
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            do_sample=False,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            pad_token_id=0,
        )
        result["greedy"] = out[0, prompt.shape[1]:].tolist()
    if job.get("saveBack"):
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        loss = lm_loss(model, ids)
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            result["lossBefore"] = loss.item()
            result["lossAfter"] = lm_loss(model, ids).item()
            result["logitsAfter"] = model(input_ids=ids).logits.tolist()
        model.save_pretrained(job["saveBack"], safe_serialization=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", required=True, help="JSON file: a list of {folder, expectClass, saveBack}")
    parser.add_argument("--ids", required=True, help="JSON list of equal-length id lists")
    parser.add_argument("--out", required=True)
    parser.add_argument("--new-tokens", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-2)
    args = parser.parse_args()
    with open(args.jobs) as f:
        jobs = json.load(f)
    ids = torch.tensor(json.loads(args.ids), dtype=torch.long)
    results = [check(job, ids, args.new_tokens, args.lr) for job in jobs]
    with open(args.out, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
