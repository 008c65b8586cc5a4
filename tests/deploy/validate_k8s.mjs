// Validates Kubernetes manifests offline against the Kubernetes API schemas
// (the npm package kubernetes-models: the official OpenAPI schemas compiled
// to validators), plus the rules the schemas cannot say. Used by
// tests/tools/k8s_manifests_cli_test.cc on deploy/kubernetes/*.yaml and on
// what `shardkit k8s-manifests` writes.
//
//   node validate_k8s.mjs PATH...    (a file, or a directory: its *.yaml,
//                                     *.yml and *.json, not recursive)
//
// Each file may hold several YAML documents (---) or a v1 List. For every
// object it prints "ok <file>#<n> <Kind>/<name>" or "INVALID <file>#<n>
// <Kind>/<name>: <why>". Exit 0 when every object is valid, 1 when one is
// not, 2 for a usage error (no path, an unreadable file, a kind it has no
// schema for).
//
// Checks, per object:
//   1. the schema of its apiVersion/kind (types, required fields, enums);
//   2. no field the schema does not know (kubectl's strict field
//      validation rejects them; the schema alone lets them through). Found
//      by running the schema's validator over a proxy that records every
//      field it reads: a field it never reads is unknown;
//   3. for pod templates: every volumeMount names a volume of the pod (or a
//      volumeClaimTemplate); a volume or claim marked readOnly is mounted
//      readOnly; every container has resource requests; a Job's pods have
//      restartPolicy Never or OnFailure; a StatefulSet's selector matches
//      its template's labels; volumes named old-* (an old node's volume)
//      are read-only claims.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

// apiVersion/kind -> module under kubernetes-models.
function modulePath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind)) {
    return null;
  }
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (!/^[a-z0-9.]*$/.test(group) || !/^v[0-9a-z]+$/.test(version)) return null;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

// A deep copy of `value` behind proxies that add "<path>/<key>" to `read`
// for every key a validator reads.
function tracked(value, where, read) {
  if (value === null || typeof value !== "object") return value;
  const copy = Array.isArray(value) ? value.map((v, i) => tracked(v, `${where}/${i}`, read)) : {};
  if (!Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) copy[k] = tracked(v, `${where}/${k}`, read);
  }
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === "string") read.add(`${where}/${key}`);
      return Reflect.get(target, key, receiver);
    },
  });
}

function unknownFields(value, where, read, out) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(v, `${where}/${i}`, read, out));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = `${where}/${k}`;
    if (!read.has(p)) out.push(p);
    else unknownFields(v, p, read, out);
  }
}

function podRules(podSpec, where, { claimTemplates = [], job = false }) {
  const errors = [];
  const volumes = new Map((podSpec.volumes ?? []).map((v) => [v.name, v]));
  for (const t of claimTemplates) volumes.set(t.metadata?.name, { claimTemplate: true });
  if (job && !["Never", "OnFailure"].includes(podSpec.restartPolicy)) {
    errors.push(`${where}/restartPolicy: a Job's pods need Never or OnFailure, not ${podSpec.restartPolicy}`);
  }
  for (const [name, v] of volumes) {
    if (name?.startsWith("old-") && v.persistentVolumeClaim?.readOnly !== true) {
      errors.push(`${where}/volumes/${name}: an old node's volume must be a readOnly claim`);
    }
  }
  const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
  for (const c of containers) {
    if (!c.resources?.requests) errors.push(`${where}/containers/${c.name}: no resources.requests`);
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      if (!v) {
        errors.push(`${where}/containers/${c.name}: volumeMount ${m.name} names no volume of the pod`);
      } else if (v.persistentVolumeClaim?.readOnly === true && m.readOnly !== true) {
        errors.push(`${where}/containers/${c.name}: volume ${m.name} is readOnly but mounted writable`);
      }
    }
  }
  return errors;
}

function objectRules(obj) {
  const spec = obj.spec ?? {};
  if (obj.kind === "Job") {
    return podRules(spec.template?.spec ?? {}, "spec/template/spec", { job: true });
  }
  if (obj.kind === "StatefulSet") {
    const errors = podRules(spec.template?.spec ?? {}, "spec/template/spec", {
      claimTemplates: spec.volumeClaimTemplates ?? [],
    });
    const labels = spec.template?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(spec.selector?.matchLabels ?? {})) {
      if (labels[k] !== v) errors.push(`spec/selector: label ${k}=${v} is not on the pod template`);
    }
    return errors;
  }
  return [];
}

async function validateObject(obj) {
  const mod = modulePath(obj?.apiVersion, obj?.kind);
  if (!mod) return { usage: `no apiVersion/kind` };
  let Model;
  try {
    Model = (await import(mod))[obj.kind];
  } catch {
    return { usage: `no schema for ${obj.apiVersion} ${obj.kind}` };
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    return { errors: [String(e.message ?? e)] };
  }
  const read = new Set();
  const proxy = tracked(new Model(obj).toJSON(), "", read);
  Model.prototype.validate.call(proxy);
  const unknown = [];
  unknownFields(obj, "", read, unknown);
  const errors = unknown.map((p) => `${p}: unknown field`);
  errors.push(...objectRules(obj));
  return { errors };
}

function listFiles(p) {
  if (fs.statSync(p).isDirectory()) {
    return fs
      .readdirSync(p)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort()
      .map((f) => path.join(p, f));
  }
  return [p];
}

function documentsOf(file) {
  const text = fs.readFileSync(file, "utf8");
  const docs = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (value.kind === "List" && Array.isArray(value.items)) docs.push(...value.items);
    else docs.push(value);
  }
  return docs;
}

async function main(args) {
  if (args.length === 0) {
    console.error("usage: node validate_k8s.mjs PATH...");
    return 2;
  }
  let invalid = 0;
  let objects = 0;
  for (const file of args.flatMap(listFiles)) {
    const docs = documentsOf(file);
    if (docs.length === 0) {
      console.error(`${file}: no Kubernetes object`);
      return 2;
    }
    for (const [i, obj] of docs.entries()) {
      const what = `${file}#${i} ${obj?.kind}/${obj?.metadata?.name}`;
      const result = await validateObject(obj);
      if (result.usage) {
        console.error(`${what}: ${result.usage}`);
        return 2;
      }
      objects++;
      if (result.errors.length > 0) {
        invalid++;
        console.log(`INVALID ${what}: ${result.errors.join("; ")}`);
      } else {
        console.log(`ok ${what}`);
      }
    }
  }
  console.log(`${objects} objects, ${invalid} invalid`);
  return invalid > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(String(e.stack ?? e));
    process.exit(2);
  },
);
