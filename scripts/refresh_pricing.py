#!/usr/bin/env python3
"""Regenerates assets/pricing.json from LiteLLM's model_prices_and_context_window.json.

Usage: pip download --no-deps litellm && unzip -j litellm-*.whl \
         litellm/model_prices_and_context_window_backup.json
       scripts/refresh_pricing.py model_prices_and_context_window_backup.json VERSION DATE \
         assets/pricing.json > new.json

Each built-in model names the LiteLLM keys it may take its prices from (first present wins).
Models LiteLLM no longer lists keep their entry of the previous table (its sources were the
vendors' price pages) and say so in `source`; gemini-1.5-* carry Google's last published price.
"""
import json
import re
import sys

# name: (provider, [LiteLLM keys], aliases)
MODELS = {
    "gpt-4o": ("openai", ["gpt-4o"], ["chatgpt-4o-latest"]),
    "gpt-4o-mini": ("openai", ["gpt-4o-mini"], []),
    "gpt-4.1": ("openai", ["gpt-4.1"], []),
    "gpt-4.1-mini": ("openai", ["gpt-4.1-mini"], []),
    "gpt-4.1-nano": ("openai", ["gpt-4.1-nano"], []),
    "gpt-5": ("openai", ["gpt-5"], ["gpt-5-chat-latest"]),
    "gpt-5.1": ("openai", ["gpt-5.1"], []),
    "gpt-5-mini": ("openai", ["gpt-5-mini"], []),
    "gpt-5-nano": ("openai", ["gpt-5-nano"], []),
    "gpt-5-pro": ("openai", ["gpt-5-pro"], []),
    "gpt-5-codex": ("openai", ["gpt-5-codex"], []),
    "o1": ("openai", ["o1"], []),
    "o3": ("openai", ["o3"], []),
    "o3-pro": ("openai", ["o3-pro"], []),
    "o3-mini": ("openai", ["o3-mini"], []),
    "o4-mini": ("openai", ["o4-mini"], []),
    "gpt-4-turbo": ("openai", ["gpt-4-turbo"], []),
    "gpt-4": ("openai", ["gpt-4"], []),
    "gpt-3.5-turbo": ("openai", ["gpt-3.5-turbo"], []),
    "gpt-oss-120b": ("openai", ["groq/openai/gpt-oss-120b", "azure_ai/gpt-oss-120b"], []),
    "gpt-oss-20b": ("openai", ["groq/openai/gpt-oss-20b"], []),
    "text-embedding-3-small": ("openai", ["text-embedding-3-small"], []),
    "text-embedding-3-large": ("openai", ["text-embedding-3-large"], []),
    "text-embedding-ada-002": ("openai", ["text-embedding-ada-002"], []),
    "claude-opus-4-5": ("anthropic", ["claude-opus-4-5"], []),
    "claude-opus-4-1": ("anthropic", ["claude-opus-4-1", "anthropic.claude-opus-4-1-20250805-v1:0"], []),
    "claude-opus-4": ("anthropic", ["claude-opus-4-20250514", "claude-opus-4"], ["claude-3-opus"]),
    "claude-sonnet-4-5": ("anthropic", ["claude-sonnet-4-5"], []),
    "claude-sonnet-4": ("anthropic", ["claude-sonnet-4-20250514", "claude-sonnet-4"], []),
    "claude-3-7-sonnet": ("anthropic", ["claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest", "anthropic.claude-3-7-sonnet-20250219-v1:0"], ["claude-3-5-sonnet"]),
    "claude-haiku-4-5": ("anthropic", ["claude-haiku-4-5"], []),
    "claude-3-5-haiku": ("anthropic", ["claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"], []),
    "claude-3-haiku": ("anthropic", ["claude-3-haiku-20240307"], []),
    "gemini-3-pro-preview": ("google", ["gemini-3-pro-preview", "gemini/gemini-3-pro-preview", "vertex_ai/gemini-3-pro-preview"], []),
    "gemini-2.5-pro": ("google", ["gemini-2.5-pro", "gemini/gemini-2.5-pro"], []),
    "gemini-2.5-flash": ("google", ["gemini-2.5-flash", "gemini/gemini-2.5-flash"], []),
    "gemini-2.5-flash-lite": ("google", ["gemini-2.5-flash-lite", "gemini/gemini-2.5-flash-lite"], []),
    "gemini-2.0-flash": ("google", ["gemini-2.0-flash", "gemini/gemini-2.0-flash"], []),
    "gemini-2.0-flash-lite": ("google", ["gemini-2.0-flash-lite", "gemini/gemini-2.0-flash-lite"], []),
    "gemini-embedding-001": ("google", ["gemini-embedding-001", "gemini/gemini-embedding-001"], []),
    "mistral-large-latest": ("mistral", ["mistral/mistral-large-latest"], []),
    "mistral-medium-latest": ("mistral", ["mistral/mistral-medium-latest"], []),
    "mistral-small-latest": ("mistral", ["mistral/mistral-small-latest"], []),
    "magistral-medium-latest": ("mistral", ["mistral/magistral-medium-latest"], []),
    "codestral-latest": ("mistral", ["mistral/codestral-latest"], []),
    "open-mistral-nemo": ("mistral", ["mistral/open-mistral-nemo"], []),
    "ministral-8b-latest": ("mistral", ["mistral/ministral-8b-latest"], []),
    "mistral-embed": ("mistral", ["mistral/mistral-embed"], []),
    "deepseek-chat": ("deepseek", ["deepseek/deepseek-chat"], []),
    "deepseek-reasoner": ("deepseek", ["deepseek/deepseek-reasoner"], []),
    "grok-4": ("xai", ["xai/grok-4", "azure_ai/grok-4"], []),
    "grok-3": ("xai", ["xai/grok-3", "azure_ai/grok-3"], []),
    "grok-3-mini": ("xai", ["xai/grok-3-mini", "azure_ai/grok-3-mini"], []),
    "command-r": ("cohere", ["command-r-08-2024", "command-r"], []),
    "command-r-plus": ("cohere", ["command-r-plus-08-2024", "command-r-plus"], []),
    "qwen-max": ("alibaba", ["dashscope/qwen-max"], []),
    "qwen-plus": ("alibaba", ["dashscope/qwen-plus"], []),
    "qwen-turbo": ("alibaba", ["dashscope/qwen-turbo"], []),
    "qwen3-coder": ("alibaba", ["dashscope/qwen3-coder-plus", "vercel_ai_gateway/alibaba/qwen3-coder"], []),
    "kimi-k2": ("moonshot", ["moonshot/kimi-k2-0711-preview", "fireworks_ai/accounts/fireworks/models/kimi-k2-instruct", "vercel_ai_gateway/moonshotai/kimi-k2"], ["kimi-k2-instruct"]),
    "kimi-k2.5": ("moonshot", ["moonshot/kimi-k2.5"], []),
    "llama-3.3-70b-versatile": ("groq", ["groq/llama-3.3-70b-versatile"], ["llama-3.3-70b"]),
    "llama-3.1-8b-instant": ("groq", ["groq/llama-3.1-8b-instant"], []),
    "llama-4-maverick-17b-128e-instruct": ("groq", ["groq/meta-llama/llama-4-maverick-17b-128e-instruct"], []),
    "llama-4-scout-17b-16e-instruct": ("groq", ["groq/meta-llama/llama-4-scout-17b-16e-instruct"], []),
    "llama-3.3-70b-instruct-turbo": ("together", ["together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"], []),
    "llama-3.1-405b-instruct-turbo": ("together", ["together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo"], []),
}

# Retired models LiteLLM no longer lists: Google's last published standard prices.
VENDOR = {
    "gemini-1.5-pro": {"provider": "google", "input_cost_per_token": 1.25e-06, "output_cost_per_token": 5e-06,
                       "tiers": [{"above_input_tokens": 128000, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}]},
    "gemini-1.5-flash": {"provider": "google", "input_cost_per_token": 7.5e-08, "output_cost_per_token": 3e-07,
                         "tiers": [{"above_input_tokens": 128000, "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07}]},
    "gemini-1.5-flash-8b": {"provider": "google", "input_cost_per_token": 3.75e-08, "output_cost_per_token": 1.5e-07,
                            "tiers": [{"above_input_tokens": 128000, "input_cost_per_token": 7.5e-08, "output_cost_per_token": 3e-07}]},
}

TIER = re.compile(r"^input_cost_per_token_above_(\d+k?)_tokens$")


def threshold(t):
    return int(t[:-1]) * 1000 if t.endswith("k") else int(t)


def entry(e, provider):
    out = {"provider": provider, "mode": e.get("mode", "chat"),
           "input_cost_per_token": e["input_cost_per_token"],
           "output_cost_per_token": e.get("output_cost_per_token", 0.0)}
    for k in ("cache_read_input_token_cost", "cache_creation_input_token_cost"):
        if e.get(k) is not None:
            out[k] = e[k]
    tiers = []
    for k in sorted(e):
        m = TIER.match(k)
        if not m:
            continue
        t = m.group(1)
        tier = {"above_input_tokens": threshold(t), "input_cost_per_token": e[k],
                "output_cost_per_token": e.get(f"output_cost_per_token_above_{t}_tokens", out["output_cost_per_token"])}
        for c in ("cache_read_input_token_cost", "cache_creation_input_token_cost"):
            v = e.get(f"{c}_above_{t}_tokens")
            if v is not None:
                tier[c] = v
        tiers.append(tier)
    if tiers:
        out["tiers"] = sorted(tiers, key=lambda t: t["above_input_tokens"])
    return out


def main():
    path, version, date, previous = sys.argv[1:5]
    lite = json.load(open(path))
    old = json.load(open(previous))
    models, missing = {}, []
    for name, (provider, keys, aliases) in MODELS.items():
        key = next((k for k in keys if "input_cost_per_token" in lite.get(k, {})), None)
        if key is None:
            if name not in old["models"]:
                missing.append(name)
                continue
            models[name] = dict(old["models"][name])
            models[name]["source"] = f"not in LiteLLM {version}: kept from the {old['date']} table"
            continue
        models[name] = entry(lite[key], provider)
        models[name]["litellm_key"] = key
        previous_tiers = old["models"].get(name, {}).get("tiers")
        if previous_tiers and "tiers" not in models[name]:
            # LiteLLM lists no long-context price for it: the vendor's stays.
            models[name]["tiers"] = previous_tiers
            models[name]["source"] = f"tiers kept from the {old['date']} table (vendor price page)"
        if aliases:
            models[name]["aliases"] = aliases
    for name, e in VENDOR.items():
        models[name] = dict(e, mode="chat", source="retired; Google's last published price")
    table = {
        "date": date,
        "currency": "USD",
        "unit": "per token",
        "sources": [
            f"LiteLLM {version} model_prices_and_context_window_backup.json (PyPI wheel litellm-{version}), "
            "read on " + date + "; each entry names its litellm_key",
            "Entries with a 'source' note are not in that LiteLLM table: kept from the previous table "
            "(vendors' price pages), or for gemini-1.5-* Google's last published standard prices "
            "(ai.google.dev/gemini-api/docs/pricing)",
        ],
        "notes": "Standard (non-batch, non-priority) tier. 'tiers' apply to the whole call when its input tokens "
                 "exceed above_input_tokens. Override or extend in llmmon.toml [pricing.models], or point "
                 "[pricing] table at LiteLLM's own file. Regenerate with scripts/refresh_pricing.py. "
                 "Prices change: check the date.",
        "models": models,
    }
    if missing:
        sys.exit(f"not in LiteLLM's table: {missing}")
    json.dump(table, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
