// Validators as JSON (what `exportArgs()` and a schema's `export()` give) compiled to checks
// over Convex-encoded JSON values.
import { specialKey } from "./values.js";

/** Renders a validator JSON the way it is written in code. */
export function printValidator(v) {
  switch (v.type) {
    case "number":
      return "v.float64()";
    case "bigint":
      return "v.int64()";
    case "id":
      return `v.id(${JSON.stringify(v.tableName)})`;
    case "literal":
      return `v.literal(${JSON.stringify(v.value)})`;
    case "array":
      return `v.array(${printValidator(v.value)})`;
    case "record":
      return `v.record(${printValidator(v.keys)}, ${printValidator(v.values.fieldType)})`;
    case "union":
      return `v.union(${v.value.map(printValidator).join(", ")})`;
    case "object":
      return `v.object({${Object.entries(v.value)
        .map(([k, f]) => `${k}: ${f.optional ? `v.optional(${printValidator(f.fieldType)})` : printValidator(f.fieldType)}`)
        .join(", ")}})`;
    default:
      return `v.${v.type}()`;
  }
}

function show(value) {
  const s = JSON.stringify(value);
  return s === undefined ? "undefined" : s.length > 1000 ? s.slice(0, 1000) + "..." : s;
}

function isPlainObject(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x) && specialKey(x) === null;
}

/**
 * Compiles a validator. The check returns null when the value is valid, else an error message.
 * @param {any} vj validator JSON
 * @param {(table: string, id: string) => boolean} isIdOfTable
 * @returns {(value: any, path: string) => string|null}
 */
export function compileValidator(vj, isIdOfTable) {
  const mismatch = (value, path) =>
    `Value does not match validator.\nPath: ${path || "(root)"}\nValue: ${show(value)}\nValidator: ${printValidator(vj)}`;
  switch (vj.type) {
    case "any":
      return () => null;
    case "null":
      return (x, p) => (x === null ? null : mismatch(x, p));
    case "number":
      return (x, p) =>
        typeof x === "number" || (x !== null && typeof x === "object" && specialKey(x) === "$float") ? null : mismatch(x, p);
    case "bigint":
      return (x, p) => (x !== null && typeof x === "object" && specialKey(x) === "$integer" ? null : mismatch(x, p));
    case "commitTs":
      return (x, p) => {
        const k = x !== null && typeof x === "object" ? specialKey(x) : null;
        return k === "$integer" || k === "$commitTs" ? null : mismatch(x, p);
      };
    case "boolean":
      return (x, p) => (typeof x === "boolean" ? null : mismatch(x, p));
    case "string":
      return (x, p) => (typeof x === "string" ? null : mismatch(x, p));
    case "bytes":
      return (x, p) => (x !== null && typeof x === "object" && specialKey(x) === "$bytes" ? null : mismatch(x, p));
    case "id": {
      const table = vj.tableName;
      return (x, p) => {
        if (typeof x !== "string") return mismatch(x, p);
        if (!isIdOfTable(table, x)) {
          return `Value does not match validator.\nPath: ${p || "(root)"}\nValue: ${show(x)}\nValidator: ${printValidator(vj)}\n\nThe value is not a valid ID for table "${table}".`;
        }
        return null;
      };
    }
    case "literal": {
      const lit = vj.value;
      if (lit !== null && typeof lit === "object") {
        const s = JSON.stringify(lit);
        return (x, p) => (x !== null && typeof x === "object" && JSON.stringify(x) === s ? null : mismatch(x, p));
      }
      return (x, p) => (x === lit ? null : mismatch(x, p));
    }
    case "array": {
      const el = compileValidator(vj.value, isIdOfTable);
      return (x, p) => {
        if (!Array.isArray(x)) return mismatch(x, p);
        for (let i = 0; i < x.length; i++) {
          const e = el(x[i], `${p}[${i}]`);
          if (e !== null) return e;
        }
        return null;
      };
    }
    case "record": {
      const kc = compileValidator(vj.keys, isIdOfTable);
      const vc = compileValidator(vj.values.fieldType, isIdOfTable);
      return (x, p) => {
        if (!isPlainObject(x)) return mismatch(x, p);
        for (const k in x) {
          const ek = kc(k, `${p}.${k}`);
          if (ek !== null) return ek;
          const ev = vc(x[k], `${p}.${k}`);
          if (ev !== null) return ev;
        }
        return null;
      };
    }
    case "union": {
      const members = vj.value.map((m) => compileValidator(m, isIdOfTable));
      return (x, p) => {
        let first = null;
        for (const m of members) {
          const e = m(x, p);
          if (e === null) return null;
          if (first === null) first = e;
        }
        return members.length === 0 ? mismatch(x, p) : mismatch(x, p);
      };
    }
    case "object": {
      const fields = Object.entries(vj.value).map(([k, f]) => ({
        k,
        optional: !!f.optional,
        check: compileValidator(f.fieldType, isIdOfTable),
      }));
      const known = new Set(fields.map((f) => f.k));
      return (x, p) => {
        if (!isPlainObject(x)) return mismatch(x, p);
        for (const f of fields) {
          const fv = x[f.k];
          if (fv === undefined) {
            if (!f.optional) {
              return `Object is missing the required field \`${f.k}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.\n\nObject: ${show(x)}\nValidator: ${printValidator(vj)}`;
            }
            continue;
          }
          const e = f.check(fv, `${p}.${f.k}`);
          if (e !== null) return e;
        }
        for (const k in x) {
          if (!known.has(k)) {
            return `Object contains extra field \`${k}\` that is not in the validator.\n\nObject: ${show(x)}\nValidator: ${printValidator(vj)}`;
          }
        }
        return null;
      };
    }
    default:
      return () => null;
  }
}
