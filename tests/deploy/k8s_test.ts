// The Kubernetes recipe (deploy/k8s/*.yaml, docs/scale-out.md) checked without a cluster: every
// document against the Kubernetes API's schema for the objects it uses (PersistentVolumeClaim and
// batch/v1 Job, field names and types as in the v1.32 API reference, unknown fields refused, as
// `kubectl apply --validate=strict` does), the Job rules the API server enforces (restartPolicy,
// Indexed completions), the references between files (volumes, claims), and what the pods would run:
// each container's script is executed with a stand-in `deno` that prints its arguments, so a cell
// index maps to the same SYSTEM/MODEL as the Slurm array's, and the cells and the assembly pass the
// same table flags.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "npm:yaml@2.9.1";
import { TABLE_MODELS, TABLE_SYSTEMS } from "@hamiltonian/hgn/runs";

const tableSystems: readonly string[] = TABLE_SYSTEMS;
const tableModels = Object.keys(TABLE_MODELS);

const dir = fileURLToPath(new URL("../../deploy/k8s", import.meta.url));

// ---- a strict schema of the API objects the recipe uses -----------------------------------------

type Schema =
  | "string"
  | "int"
  | "bool"
  | "quantity"
  | "any"
  | { readonly enum: readonly string[] }
  | { readonly array: Schema }
  | { readonly map: Schema }
  | { readonly object: Readonly<Record<string, Schema>>; readonly required?: readonly string[] };

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Every error in `value` against `schema`, with its path. */
const check = (value: unknown, schema: Schema, path: string): string[] => {
  if (schema === "any") return [];
  if (schema === "string") return typeof value === "string" ? [] : [`${path}: expected a string`];
  if (schema === "bool") return typeof value === "boolean" ? [] : [`${path}: expected a boolean`];
  if (schema === "int") {
    return Number.isSafeInteger(value)
      ? []
      : [`${path}: expected an integer, got ${JSON.stringify(value)}`];
  }
  if (schema === "quantity") {
    return (typeof value === "string" && QUANTITY.test(value)) ||
        (typeof value === "number" && Number.isFinite(value))
      ? []
      : [`${path}: ${JSON.stringify(value)} is not a quantity`];
  }
  if ("enum" in schema) {
    return schema.enum.includes(value as string)
      ? []
      : [`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`];
  }
  if ("array" in schema) {
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    return value.flatMap((v, i) => check(v, schema.array, `${path}[${i}]`));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [`${path}: expected an object`];
  }
  const entries = Object.entries(value);
  if ("map" in schema) return entries.flatMap(([k, v]) => check(v, schema.map, `${path}.${k}`));
  const missing = (schema.required ?? []).filter((k) => !(k in value)).map((k) =>
    `${path}.${k}: required`
  );
  return missing.concat(
    entries.flatMap(([k, v]) =>
      k in schema.object
        ? check(v, schema.object[k], `${path}.${k}`)
        : [`${path}.${k}: unknown field`]
    ),
  );
};

const fields = (names: string, schema: Schema = "any"): Record<string, Schema> =>
  Object.fromEntries(names.split(/\s+/).filter(Boolean).map((n) => [n, schema]));

const objectMeta: Schema = {
  object: {
    ...fields("name generateName namespace", "string"),
    labels: { map: "string" },
    annotations: { map: "string" },
    finalizers: { array: "string" },
    ownerReferences: "any",
  },
};
const resources: Schema = {
  object: { limits: { map: "quantity" }, requests: { map: "quantity" }, claims: "any" },
};
const container: Schema = {
  object: {
    ...fields(
      "env envFrom lifecycle livenessProbe ports readinessProbe resizePolicy securityContext " +
        "startupProbe volumeDevices",
    ),
    ...fields("name image workingDir terminationMessagePath", "string"),
    ...fields("stdin stdinOnce tty", "bool"),
    command: { array: "string" },
    args: { array: "string" },
    imagePullPolicy: { enum: ["Always", "Never", "IfNotPresent"] },
    terminationMessagePolicy: { enum: ["File", "FallbackToLogsOnError"] },
    restartPolicy: { enum: ["Always"] },
    resources,
    volumeMounts: {
      array: {
        object: {
          ...fields("name mountPath subPath subPathExpr", "string"),
          readOnly: "bool",
          mountPropagation: { enum: ["None", "HostToContainer", "Bidirectional"] },
          recursiveReadOnly: { enum: ["Disabled", "IfPossible", "Enabled"] },
        },
        required: ["name", "mountPath"],
      },
    },
  },
  required: ["name"],
};
const volume: Schema = {
  object: {
    name: "string",
    persistentVolumeClaim: {
      object: { claimName: "string", readOnly: "bool" },
      required: ["claimName"],
    },
    ...fields(
      "awsElasticBlockStore azureDisk azureFile cephfs cinder configMap csi downwardAPI emptyDir " +
        "ephemeral fc flexVolume flocker gcePersistentDisk gitRepo glusterfs hostPath image iscsi " +
        "nfs photonPersistentDisk portworxVolume projected quobyte rbd scaleIO secret storageos " +
        "vsphereVolume",
    ),
  },
  required: ["name"],
};
const podSpec: Schema = {
  object: {
    ...fields(
      "affinity dnsConfig ephemeralContainers hostAliases imagePullSecrets initContainers " +
        "nodeSelector os overhead readinessGates resourceClaims resources schedulingGates " +
        "securityContext tolerations topologySpreadConstraints",
    ),
    ...fields(
      "hostname nodeName priorityClassName runtimeClassName schedulerName serviceAccount " +
        "serviceAccountName subdomain",
      "string",
    ),
    ...fields(
      "automountServiceAccountToken enableServiceLinks hostIPC hostNetwork hostPID hostUsers " +
        "setHostnameAsFQDN shareProcessNamespace",
      "bool",
    ),
    ...fields("activeDeadlineSeconds priority terminationGracePeriodSeconds", "int"),
    dnsPolicy: { enum: ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"] },
    preemptionPolicy: { enum: ["PreemptLowerPriority", "Never"] },
    restartPolicy: { enum: ["Always", "OnFailure", "Never"] },
    containers: { array: container },
    volumes: { array: volume },
  },
  required: ["containers"],
};
const job: Schema = {
  object: {
    apiVersion: { enum: ["batch/v1"] },
    kind: { enum: ["Job"] },
    metadata: objectMeta,
    spec: {
      object: {
        ...fields(
          "activeDeadlineSeconds backoffLimit backoffLimitPerIndex completions maxFailedIndexes " +
            "parallelism ttlSecondsAfterFinished",
          "int",
        ),
        ...fields("manualSelector suspend", "bool"),
        ...fields("podFailurePolicy selector successPolicy"),
        managedBy: "string",
        completionMode: { enum: ["NonIndexed", "Indexed"] },
        podReplacementPolicy: { enum: ["TerminatingOrFailed", "Failed"] },
        template: { object: { metadata: objectMeta, spec: podSpec }, required: ["spec"] },
      },
      required: ["template"],
    },
  },
  required: ["apiVersion", "kind", "metadata", "spec"],
};
const claim: Schema = {
  object: {
    apiVersion: { enum: ["v1"] },
    kind: { enum: ["PersistentVolumeClaim"] },
    metadata: objectMeta,
    spec: {
      object: {
        accessModes: {
          array: { enum: ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] },
        },
        resources,
        ...fields("storageClassName volumeName volumeAttributesClassName", "string"),
        volumeMode: { enum: ["Filesystem", "Block"] },
        ...fields("selector dataSource dataSourceRef"),
      },
    },
  },
  required: ["apiVersion", "kind", "metadata", "spec"],
};

// deno-lint-ignore no-explicit-any
type Manifest = any;

/** Every error of one manifest: the schema, then the rules the API server adds for Jobs. */
const validate = (m: Manifest): string[] => {
  const kind = `${m?.apiVersion}/${m?.kind}`;
  if (kind === "v1/PersistentVolumeClaim") return check(m, claim, "PersistentVolumeClaim");
  if (kind !== "batch/v1/Job") return [`${kind}: not an object the recipe uses`];
  const errors = check(m, job, "Job");
  if (errors.length) return errors;
  const { spec } = m;
  const pod = spec.template.spec;
  if (!DNS_LABEL.test(m.metadata.name) || m.metadata.name.length > 63) {
    errors.push(`metadata.name: ${m.metadata.name} is not a DNS label of at most 63 characters`);
  }
  if (!["Never", "OnFailure"].includes(pod.restartPolicy)) {
    errors.push(`spec.template.spec.restartPolicy: a Job's pods need Never or OnFailure`);
  }
  if (spec.completionMode === "Indexed" && !(spec.completions >= 1)) {
    errors.push("spec.completions: an Indexed Job needs completions");
  }
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== "Indexed") {
    errors.push("spec.backoffLimitPerIndex: only for completionMode Indexed");
  }
  for (const k of ["completions", "parallelism", "backoffLimit", "backoffLimitPerIndex"]) {
    if (spec[k] !== undefined && spec[k] < 0) errors.push(`spec.${k}: must be >= 0`);
  }
  const volumes = new Set((pod.volumes ?? []).map((v: Manifest) => v.name));
  for (const c of pod.containers) {
    if (!DNS_LABEL.test(c.name)) errors.push(`container ${c.name}: not a DNS label`);
    if (!c.image) errors.push(`container ${c.name}: image is required in a Job's pods`);
    for (const v of c.volumeMounts ?? []) {
      if (!volumes.has(v.name)) errors.push(`container ${c.name}: mounts ${v.name}, not a volume`);
    }
  }
  return errors;
};

// ---- the files -----------------------------------------------------------------------------------

const load = async (): Promise<Map<string, Manifest[]>> => {
  const files = new Map<string, Manifest[]>();
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".yaml")) continue;
    const docs = parseAllDocuments(await Deno.readTextFile(join(dir, e.name)));
    const parsed = (Array.isArray(docs) ? docs : [docs]).map((d) => {
      if (d.errors.length) throw new Error(`${e.name}: ${d.errors[0].message}`);
      return d.toJS();
    });
    files.set(e.name, parsed);
  }
  return files;
};

const jobs = (files: Map<string, Manifest[]>) =>
  [...files.values()].flat().filter((m) => m.kind === "Job");

/** What a Job's container would run, with `deno` standing in as a script printing its arguments. */
const runContainer = async (c: Manifest, env: Record<string, string>): Promise<string[]> => {
  const bin = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(bin, "deno"), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', {
      mode: 0o755,
    });
    const [cmd, ...args] = [...c.command, ...(c.args ?? [])];
    const out = await new Deno.Command(cmd, {
      args,
      env: { ...env, PATH: `${bin}:${Deno.env.get("PATH")}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    ok(out.success, `${c.name}: ${err}`);
    return new TextDecoder().decode(out.stdout).trim().split("\n");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
};

/** The value after `flag` in an argument list. */
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

Deno.test("k8s: every manifest is a valid PersistentVolumeClaim or Job, and each claim it names exists", async () => {
  const files = await load();
  deepStrictEqual(
    [...files.keys()].sort(),
    [
      "generate_merge.yaml",
      "generate_parts.yaml",
      "table_assemble.yaml",
      "table_cells.yaml",
      "volume.yaml",
    ],
  );
  const claims = new Set(
    [...files.values()].flat().filter((m) => m.kind === "PersistentVolumeClaim").map((m) =>
      m.metadata.name
    ),
  );
  for (const [name, docs] of files) {
    for (const m of docs) {
      deepStrictEqual(validate(m), [], name);
      for (const v of m.spec.template?.spec.volumes ?? []) {
        const c = v.persistentVolumeClaim?.claimName;
        ok(c === undefined || claims.has(c), `${name}: claim ${c} is not in deploy/k8s`);
      }
    }
  }
});

Deno.test("k8s: the checker refuses a typo, a wrong type and a Job rule broken", async () => {
  const cells = (await load()).get("table_cells.yaml")![0];
  const broken = (edit: (m: Manifest) => void) => {
    const m = structuredClone(cells);
    edit(m);
    return validate(m);
  };
  deepStrictEqual(broken(() => {}), []);
  deepStrictEqual(broken((m) => (m.spec.completionMod = "Indexed")), [
    "Job.spec.completionMod: unknown field",
  ]);
  deepStrictEqual(broken((m) => (m.spec.completions = "24")), [
    'Job.spec.completions: expected an integer, got "24"',
  ]);
  deepStrictEqual(broken((m) => (m.spec.completionMode = "indexed")), [
    'Job.spec.completionMode: "indexed" is not one of NonIndexed, Indexed',
  ]);
  deepStrictEqual(
    broken((m) => (m.spec.template.spec.containers[0].resources.requests.memory = "4 GB")),
    [
      'Job.spec.template.spec.containers[0].resources.requests.memory: "4 GB" is not a quantity',
    ],
  );
  deepStrictEqual(broken((m) => (m.spec.template.spec.restartPolicy = "Always")), [
    "spec.template.spec.restartPolicy: a Job's pods need Never or OnFailure",
  ]);
  deepStrictEqual(
    broken((m) => (m.spec.template.spec.containers[0].volumeMounts[0].name = "data")),
    [
      "container cell: mounts data, not a volume",
    ],
  );
  throws(() => {
    const e = broken((m) => delete m.spec.template.spec.containers[0].name);
    if (e.length) throw new Error(e.join("; "));
  }, /containers\[0\]\.name: required/);
});

Deno.test("k8s: cell pods map JOB_COMPLETION_INDEX to the Slurm array's SYSTEM/MODEL, with the assembly's flags", async () => {
  const all = jobs(await load());
  const cells = all.find((j) => j.metadata.name === "hgn-table-cells");
  const assemble = all.find((j) => j.metadata.name === "hgn-table-assemble");
  strictEqual(cells.spec.completions, tableSystems.length * tableModels.length);
  const flagsOf = (args: string[]) => args.slice(args.indexOf("table") + 1);
  const assembled = flagsOf(await runContainer(assemble.spec.template.spec.containers[0], {}));
  strictEqual(assembled.at(-1), "--assemble");
  for (let i = 0; i < cells.spec.completions; i++) {
    const args = await runContainer(cells.spec.template.spec.containers[0], {
      JOB_COMPLETION_INDEX: `${i}`,
    });
    const cell = `${tableSystems[Math.floor(i / tableModels.length)]}/${
      tableModels[i % tableModels.length]
    }`;
    strictEqual(after(args, "--cell"), cell, `index ${i}`);
    // the same table settings as the assembly, or the table folder refuses the cell
    deepStrictEqual(flagsOf(args).slice(0, -2), assembled.slice(0, -1), `index ${i}`);
    ok(
      args.includes(
        `--allow-write=${cells.spec.template.spec.containers[0].volumeMounts[0].mountPath}`,
      ),
    );
  }
});

Deno.test("k8s: dataset part pods cover 0..N-1 of N, and the merge reads their folder", async () => {
  const all = jobs(await load());
  const parts = all.find((j) => j.metadata.name === "hgn-generate-parts");
  const merge = all.find((j) => j.metadata.name === "hgn-generate-merge");
  const merged = await runContainer(merge.spec.template.spec.containers[0], {});
  ok(merged.includes("--merge"));
  const n = parts.spec.completions;
  for (let i = 0; i < n; i++) {
    const args = await runContainer(parts.spec.template.spec.containers[0], {
      JOB_COMPLETION_INDEX: `${i}`,
    });
    strictEqual(after(args, "--part"), `${i}/${n}`);
    strictEqual(after(args, "--out"), after(merged, "--out"));
  }
});
