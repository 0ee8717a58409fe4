"""Summary of a designed-cases probe (designed_cases_probe.py): the cases devcrew would keep (a literal
value, not one of the request's own examples, at most 6), how many the reference solution agrees with,
on how many problems the crew solved a kept case fails its right code (a false alarm), and on how
many it missed a kept right case fails its wrong code (a catch).

  python3 evaluation/probes/summarize.py /tmp/probe-reqs.json OUT.jsonl
"""
import ast
import json
import sys

reqs = json.load(open(sys.argv[1]))
prompts = {p['id']: p['prompt'] for p in reqs['problems']}
kept_n = right = 0
alarms, catches = [], []
for line in open(sys.argv[2]):
    r = json.loads(line)
    kept = []
    for (call, exp), ref, crew in zip(r['cases'], r['ref'], r['crew'] or ['?'] * len(r['cases'])):
        try:
            ast.literal_eval(exp)
        except Exception:
            continue
        if call.replace(' ', '') in prompts[r['id']].replace(' ', ''):
            continue
        kept.append((ref, crew))
    kept = kept[:6]
    kept_n += len(kept)
    right += sum(1 for ref, _ in kept if ref == 'ok')
    if r['crew_hidden'] == 'passed' and any(ref != 'ok' and crew != 'ok' for ref, crew in kept):
        alarms.append(r['id'])
    if r['crew_hidden'] not in (None, 'passed') and any(ref == 'ok' and crew != 'ok' for ref, crew in kept):
        catches.append(r['id'])
print(f'kept cases {kept_n}, right by the reference {right}')
print(f'false alarms on problems the crew solved: {len(alarms)} {alarms}')
print(f'catches on problems the crew missed: {len(catches)} {catches}')
