"""The designed-cases probe: the Tester's designer prompt on the local model, each case judged by
HumanEval's reference solution and by the crew's final code of an earlier evaluation.

  python3 evaluation/probes/designed_cases_probe.py /tmp/probe-reqs.json RUNS.jsonl OUT.jsonl [PORT]

PORT is a llama.cpp server with the model (devcrew's launcher, runtime/model-server/launch.py).
Resumes: problems already in OUT.jsonl are skipped. Reference code runs in a subprocess on this
machine (HumanEval's own solutions); the crew's code is an earlier evaluation's.
"""
import ast
import json
import os
import subprocess
import sys
import time
import urllib.request

CHECK = """
import ast, json, sys
res = []
for call, exp in json.loads(sys.argv[1]):
    try:
        want = ast.literal_eval(exp)
        got = eval(call)
        if isinstance(want, float) and isinstance(got, (int, float)):
            ok = abs(got - want) < 1e-6
        else:
            ok = got == want
        res.append('ok' if ok else 'bad:' + repr(got)[:60])
    except Exception as e:
        res.append('err:' + type(e).__name__)
print(json.dumps(res))
"""


def run_cases(src, cases):
    try:
        p = subprocess.run([sys.executable, '-c', src + '\n' + CHECK, json.dumps(cases)],
                           capture_output=True, text=True, timeout=10)
        return json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:
        return ['crash'] * len(cases)


def main():
    reqs, runs, out = sys.argv[1], sys.argv[2], sys.argv[3]
    port = sys.argv[4] if len(sys.argv) > 4 else '8099'
    d = json.load(open(reqs))
    crew = {}
    for line in open(runs):
        r = json.loads(line)
        if r['mode'] == 'crew':
            crew[r['task_id']] = r['run']
    done = set()
    if os.path.exists(out):
        done = {json.loads(line)['id'] for line in open(out)}
    for p in d['problems']:
        if p['id'] in done:
            continue
        body = {'model': 'x', 'temperature': 0, 'max_tokens': 600,
                'messages': [{'role': 'system', 'content': d['system']},
                             {'role': 'user', 'content': 'Request: ' + p['request'].strip()}],
                'response_format': {'type': 'json_schema',
                                    'json_schema': {'name': 'tester_answer', 'schema': d['schema']}}}
        started = time.time()
        req = urllib.request.Request(f'http://127.0.0.1:{port}/v1/chat/completions',
                                     data=json.dumps(body).encode(),
                                     headers={'content-type': 'application/json'})
        ans = json.loads(urllib.request.urlopen(req, timeout=600).read())
        try:
            cases = json.loads(ans['choices'][0]['message']['content'])['cases']
        except Exception:
            cases = []
        cases = [(c['call'], c['expected']) for c in cases if c['call'].startswith(p['entry'] + '(')]
        code = crew.get(p['id'], {}).get('code')
        rec = {'id': p['id'], 'secs': round(time.time() - started, 1), 'cases': cases,
               'ref': run_cases(p['prompt'] + p['canonical'], cases),
               'crew_hidden': crew.get(p['id'], {}).get('hidden'),
               'crew': run_cases(code, cases) if code else []}
        with open(out, 'a') as f:
            f.write(json.dumps(rec) + '\n')
        print(p['id'], len(cases), 'cases', flush=True)


if __name__ == '__main__':
    main()
