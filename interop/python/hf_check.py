"""Loads tformer-exported Hugging Face folders with transformers and reports what they compute.

Used by the interop tests (packages/model/src/hf/hf-python.test.ts, hf-seq2seq-vision.test.ts):
they compare the numbers written here with tformer's own. One process handles every folder
(torch's import is the slow part). Steps per job of --jobs, by its task:
  1. from_pretrained(folder) in float32 with the task's Auto class (causal: AutoModelForCausalLM,
     seq2seq: AutoModelForSeq2SeqLM, image: AutoModelForImageClassification); the class must be
     expectClass.
  2. causal: logits of --ids (a JSON list of equal-length id lists) and greedy generation of
     --new-tokens tokens from the first row (do_sample=False); seq2seq: logits of the job's src and
     tgt (decoder inputs, teacher forcing) and greedy generation from src's first row starting with
     startToken; image: logits of the job's pixels [B, C, H, W] (no generation).
  3. with saveBack DIR: one AdamW step on the task's loss (so the weights the other side reads
     back differ from those it wrote), save_pretrained(DIR) as safetensors, and the logits of the
     updated model.
Writes a JSON list to --out, one object per job: class, logits, greedy (not for image), and with
saveBack lossBefore, lossAfter, logitsAfter.

usage: python hf_check.py --jobs jobs.json --ids '[[1,2,3]]' --out results.json [--new-tokens 8]
"""

import argparse
import json

import torch
from transformers import AutoModelForCausalLM, AutoModelForImageClassification, AutoModelForSeq2SeqLM

AUTO = {
    "causal": AutoModelForCausalLM,
    "seq2seq": AutoModelForSeq2SeqLM,
    "image": AutoModelForImageClassification,
}


def tensors(job, ids):
    """The job's inputs as keyword arguments of the model's forward (no labels)."""
    task = job.get("task", "causal")
    if task == "causal":
        return {"input_ids": ids}
    if task == "seq2seq":
        return {
            "input_ids": torch.tensor(job["src"], dtype=torch.long),
            "decoder_input_ids": torch.tensor(job["tgt"], dtype=torch.long),
        }
    return {"pixel_values": torch.tensor(job["pixels"], dtype=torch.float32)}


def loss_of(model, job, inputs):
    task = job.get("task", "causal")
    if task == "causal":
        return model(**inputs, labels=inputs["input_ids"]).loss
    if task == "seq2seq":
        return model(**inputs, labels=inputs["decoder_input_ids"]).loss
    return model(**inputs, labels=torch.tensor(job["labels"], dtype=torch.long)).loss


def greedy(model, job, inputs, new_tokens):
    """Greedy tokens after the prompt (causal) or after the decoder start token (seq2seq)."""
    fixed = dict(do_sample=False, num_beams=1, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    if job.get("task", "causal") == "causal":
        prompt = inputs["input_ids"][:1]
        out = model.generate(prompt, attention_mask=torch.ones_like(prompt), pad_token_id=0, **fixed)
        return out[0, prompt.shape[1]:].tolist()
    src = inputs["input_ids"][:1]
    out = model.generate(
        src, attention_mask=torch.ones_like(src), decoder_start_token_id=job["startToken"], **fixed
    )
    return out[0, 1:].tolist()


def check(job, ids, new_tokens, lr):
    """One folder: its class, logits, greedy tokens; one training step and a save back."""
    torch.manual_seed(0)
    task = job.get("task", "causal")
    model = AUTO[task].from_pretrained(job["folder"], dtype=torch.float32)
    cls = type(model).__name__
    if job.get("expectClass") and cls != job["expectClass"]:
        raise SystemExit(f"{job['folder']} loaded as {cls}, expected {job['expectClass']}")
    model.eval()
    inputs = tensors(job, ids)
    result = {"class": cls}
    with torch.no_grad():
        result["logits"] = model(**inputs).logits.tolist()
        if task != "image":
            result["greedy"] = greedy(model, job, inputs, new_tokens)
    if job.get("saveBack"):
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        loss = loss_of(model, job, inputs)
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            result["lossBefore"] = loss.item()
            result["lossAfter"] = loss_of(model, job, inputs).item()
            result["logitsAfter"] = model(**inputs).logits.tolist()
        model.save_pretrained(job["saveBack"], safe_serialization=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", required=True, help="JSON file: a list of {folder, expectClass, saveBack, task, src, tgt, startToken, pixels, labels}")
    parser.add_argument("--ids", default="[[0]]", help="causal jobs: JSON list of equal-length id lists")
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
