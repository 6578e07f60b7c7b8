/**
 * A small WebAssembly assembler: the instructions our kernels use, written as TypeScript calls
 * that append bytes, and a module of functions over one imported memory. Our kernels are emitted
 * by TypeScript (lib/tensor/conv_kernel.ts) at load time, specialised to each layer's shape, so
 * there is no toolchain, no committed binary and nothing to drift from its source.
 *
 * Only what the kernels need is here: i32 arithmetic and control flow, f32 and v128 loads and
 * stores, f32x4 arithmetic and comparisons, the i32x4 lane arithmetic of exponent bits,
 * and the relaxed-SIMD fused multiply-add.
 *
 * @module
 */

/** Unsigned LEB128. */
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};

/** Signed LEB128 of a 32-bit integer. */
const sleb = (n: number): number[] => {
  const out: number[] = [];
  n |= 0;
  while (true) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
};

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const name = (s: string): number[] => [...uleb(utf8(s).length), ...utf8(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Value types. */
export const I32 = 0x7f;
/** The 128-bit vector type. */
export const V128 = 0x7b;

/** A function body under construction: locals by type, instructions appended in order. */
export class Code {
  readonly bytes: number[] = [];
  readonly locals: number[] = [];

  constructor(readonly params: number) {}

  /** A new local of type `type`; returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }

  /** Appends raw bytes. */
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  private simd(code: number, ...rest: number[]): this {
    return this.op(0xfd, ...uleb(code), ...rest);
  }

  get(i: number): this {
    return this.op(0x20, ...uleb(i));
  }
  set(i: number): this {
    return this.op(0x21, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(0x22, ...uleb(i));
  }
  i32(n: number): this {
    return this.op(0x41, ...sleb(n));
  }
  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  ltS(): this {
    return this.op(0x48);
  }
  eqz(): this {
    return this.op(0x45);
  }
  drop(): this {
    return this.op(0x1a);
  }
  /** `local[i] += n` (nothing when `n` is 0). */
  bump(i: number, n: number): this {
    return n === 0 ? this : this.get(i).i32(n).add().set(i);
  }
  /** `loop ... end` (br 0 inside repeats it). */
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  /** `block ... end` (br 0 inside leaves it). */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  /**
   * `while (local[i] < local[n]) { body(); local[i] += by }`, signed, for any `local[n]` (a
   * loop inside a block; `body` must not branch out of it).
   */
  whileBelow(i: number, n: number, by: number, body: () => void): this {
    return this.block(() =>
      this.loop(() => {
        this.get(i).get(n).ltS().eqz().brIf(1);
        body();
        this.bump(i, by).br(0);
      })
    );
  }
  /**
   * `for (local[i] = 0; local[i] < n; local[i]++) body()`, for a constant `n` (a do-while behind
   * a guard; `body` must not branch out of it).
   */
  forRange(i: number, n: number, body: () => void): this {
    if (n <= 0) return this;
    this.i32(0).set(i);
    return this.loop(() => {
      body();
      this.bump(i, 1).get(i).i32(n).ltS().brIf(0);
    });
  }
  /** {@link forRange} to `local[n]`, which must be at least 1 when it runs. */
  forLocal(i: number, n: number, body: () => void): this {
    this.i32(0).set(i);
    return this.loop(() => {
      body();
      this.bump(i, 1).get(i).get(n).ltS().brIf(0);
    });
  }
  /** `i32.load offset` from the address on the stack (any 4 bytes, bit for bit). */
  i32Load(offset: number): this {
    return this.op(0x28, 2, ...uleb(offset));
  }
  /** `i32.store offset` to the address below the value on the stack. */
  i32Store(offset: number): this {
    return this.op(0x36, 2, ...uleb(offset));
  }
  /** `f32.convert_i32_s` */
  f32ConvertI32(): this {
    return this.op(0xb2);
  }
  /** `f32.load offset` from the address on the stack. */
  f32Load(offset: number): this {
    return this.op(0x2a, 2, ...uleb(offset));
  }
  /** `f32.store offset` to the address below the value on the stack. */
  f32Store(offset: number): this {
    return this.op(0x38, 2, ...uleb(offset));
  }
  v128Load(offset: number): this {
    return this.simd(0x00, 0, ...uleb(offset));
  }
  /** One float at `address + offset` in all four lanes. */
  v128Load32Splat(offset: number): this {
    return this.simd(0x09, 0, ...uleb(offset));
  }
  v128Store(offset: number): this {
    return this.simd(0x0b, 0, ...uleb(offset));
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array(16).fill(0));
  }
  /** Lane `lane` of the f32x4 on the stack in all four lanes (`i8x16.shuffle`). */
  f32x4SplatLane(lane: number): this {
    const bytes = [0, 1, 2, 3].flatMap(() => [0, 1, 2, 3].map((b) => lane * 4 + b));
    return this.simd(0x0d, ...bytes);
  }
  f32x4ExtractLane(lane: number): this {
    return this.simd(0x1f, lane);
  }
  /** The f32x4 below the f32 on the stack with lane `lane` replaced by that f32. */
  f32x4ReplaceLane(lane: number): this {
    return this.simd(0x20, lane);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  /** Lane-wise maximum, NaN if either lane is NaN. */
  f32x4Max(): this {
    return this.simd(0xe9);
  }
  /** `a < b ? b : a` lane-wise (pseudo-maximum: one instruction on x64; NaN in `a` is kept). */
  f32x4Pmax(): this {
    return this.simd(0xeb);
  }
  /** `b < a ? b : a` lane-wise (pseudo-minimum: one instruction on x64; NaN in `a` is kept). */
  f32x4Pmin(): this {
    return this.simd(0xea);
  }
  v128Or(): this {
    return this.simd(0x50);
  }
  /** Lane masks (all ones or all zeros) of `a < b`. */
  f32x4Lt(): this {
    return this.simd(0x43);
  }
  /** `v` in all four lanes (`v128.const`). */
  f32x4Const(v: number): this {
    const bytes = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
    return this.simd(0x0c, ...bytes);
  }
  /** `a & ~b` */
  v128AndNot(): this {
    return this.simd(0x4f);
  }
  /** Bits of `a` where the mask `m` (on top) is set, of `b` elsewhere, for `a, b, m` on the stack. */
  v128Bitselect(): this {
    return this.simd(0x52);
  }
  i32x4Add(): this {
    return this.simd(0xae);
  }
  i32x4Sub(): this {
    return this.simd(0xb1);
  }
  /** Each i32 lane shifted left by the i32 on top of the stack. */
  i32x4Shl(): this {
    return this.simd(0xab);
  }
  /** Each i32 lane shifted right, arithmetically, by the i32 on top of the stack. */
  i32x4ShrS(): this {
    return this.simd(0xac);
  }
  /** `n` in all four i32 lanes (`v128.const`). */
  i32x4Const(n: number): this {
    const bytes = new Uint8Array(new Int32Array([n, n, n, n]).buffer);
    return this.simd(0x0c, ...bytes);
  }
  /** `a * b + c` for `a, b, c` on the stack, fused where the engine fuses (relaxed SIMD). */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }

  /** The body in the code section's encoding. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...uleb(n), t])), ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/** An exported function: its name, its i32 parameters (no results), its body. */
export interface WasmFunction {
  readonly name: string;
  readonly code: Code;
}

/**
 * The bytes of a module that imports `env.memory` and exports `functions`, each taking
 * `code.params` i32 arguments and returning nothing.
 */
export const moduleBytes = (functions: readonly WasmFunction[]): Uint8Array<ArrayBuffer> => {
  const types = functions.map((
    f,
  ) => [0x60, ...uleb(f.code.params), ...new Array(f.code.params).fill(I32), 0]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])), // memory, min 0
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.code.encode()))),
  ];
  return new Uint8Array(bytes);
};

/** Whether this engine validates relaxed-SIMD `f32x4.relaxed_madd`. */
export const hasRelaxedSimd = (): boolean => {
  const code = new Code(1);
  code.v128Zero().v128Zero().v128Zero().f32x4RelaxedMadd().drop();
  return WebAssembly.validate(moduleBytes([{ name: "f", code }]));
};

/** Compiled modules' exports by memory (one per wasm backend), then by what they were made for. */
const compiled = new WeakMap<WebAssembly.Memory, Map<string, WebAssembly.Exports>>();

/**
 * The exports of the module of `emit()`'s functions instantiated on `memory`, compiled once per
 * memory and `key` (what the functions were made for; at most 512 kept per memory).
 */
export const compileOn = (
  memory: WebAssembly.Memory,
  key: string,
  emit: () => readonly WasmFunction[],
): WebAssembly.Exports => {
  let cache = compiled.get(memory);
  if (!cache) compiled.set(memory, cache = new Map());
  let exports = cache.get(key);
  if (!exports) {
    const module = new WebAssembly.Module(moduleBytes(emit()));
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    if (cache.size >= 512) cache.clear();
    cache.set(key, exports);
  }
  return exports;
};
