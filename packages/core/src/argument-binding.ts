/**
 * Keyword arguments bound by parameter name, as ACME (Python) binds them: `options.kwargs.y`
 * fills the parameter `y` of `function randout(x, y = 3)`, wherever it stands. This is ACME's
 * step B (reference §1.3: a kwarg naming a positional parameter moves into the positional list),
 * done once on the client before the distribution, so workers bind nothing: they call
 * `func(...args)`, or `func(...args, kwargs)` when keys are left for a last `{ … }`, `kwargs`
 * or `...rest` parameter.
 *
 * Rules:
 * - A key that names a parameter fills it; parameters between the given ones that have a
 *   default get `undefined` (so the default applies and later ones do not shift).
 * - The remaining keys go, as one object, to a last parameter that is an object pattern
 *   (`{ a, b }`) or is named `kwargs` (Python's `**kwargs`), at its position; or to `...rest`
 *   (appended after the positional arguments). A pattern that lists its keys accepts only those.
 * - Errors before any call runs: a parameter without default and without value (JS would pass
 *   undefined silently), an unknown key (with a did-you-mean), a parameter given twice. More
 *   positional arguments than parameters (and no `...rest` or `arguments` to take them): a warning.
 * - When the parameters cannot be read (native or bound function, an ES module re-export, a
 *   module that does not load here), a warning says so and the keyword arguments arrive as one
 *   trailing object, `func(...args, kwargs)`.
 */
import { ArgumentBindingError } from './errors';
import { suggestName } from './options';
import type { Parameter, Signature, SignatureResult } from './parameters';

export interface BoundArguments {
  args: unknown[];
  /** The keys left for the last parameter (`{ … }`, `kwargs` or `...rest`); undefined when there are none. */
  kwargs: Record<string, unknown> | undefined;
  warnings: string[];
}

/** A last parameter of this name takes the keys no parameter names, as Python's `**kwargs`. */
const KWARGS = 'kwargs';

/** A skipped parameter that has a default gets `undefined`, so JS uses the default. */
const UNSET = undefined;

export function bindArguments(args: readonly unknown[], kwargs: Record<string, unknown> | undefined, signatureResult: SignatureResult): BoundArguments {
  if (!signatureResult.ok) {
    const { name, reason } = signatureResult;
    const warning = `the parameters of ${name} cannot be read (${reason}); its keyword arguments arrive as one trailing object, ${name}(...args, kwargs)`;
    return { args: [...args], kwargs, warnings: kwargs === undefined ? [] : [warning] };
  }
  const signature = signatureResult.signature;
  const { params } = signature;
  const last = params[params.length - 1];
  const collector = last && (last.rest || last.objectPattern || last.name === KWARGS) ? last : undefined;
  const positional = [...args];
  const given = positional.map(() => true);
  const rest: Record<string, unknown> = {};
  const unknown: string[] = [];
  const padTo = (length: number) => {
    while (positional.length < length) {
      positional.push(UNSET);
      given.push(false);
    }
  };

  for (const [key, value] of Object.entries(kwargs ?? {})) {
    const index = params.findIndex((p) => p !== collector && p.name === key);
    if (index >= 0) {
      if (given[index]) throw givenTwice(signature, key, `positional argument ${index}`, `options.kwargs.${key}`);
      padTo(index + 1);
      positional[index] = value;
      given[index] = true;
    } else if (collector && (collector.keys === undefined || collector.keys.includes(key))) rest[key] = value;
    else unknown.push(key);
  }
  if (unknown.length > 0) throw unknownKeywords(signature, unknown, collector);

  const hasKwargs = Object.keys(rest).length > 0;
  if (hasKwargs && collector) {
    // The object goes at the last parameter's position (for ...rest: at the least there).
    const at = params.length - 1;
    if (!collector.rest && given[at])
      throw givenTwice(signature, collector.display, `positional argument ${at}`, `the keyword arguments ${Object.keys(rest).join(', ')}`);
    padTo(at);
  }

  const required = params.filter((p) => !p.rest && !p.hasDefault);
  const missing = params.filter((p, i) => !p.rest && !p.hasDefault && !given[i] && !(hasKwargs && p === collector));
  if (missing.length > 0) {
    const found = required.length - missing.length;
    const fixes = missing.map((p) =>
      p === collector || p.name === undefined
        ? `${p.display} has no value: pass its keys in options.kwargs`
        : `${p.name} has no value: pass it in args or as options.kwargs.${p.name}`,
    );
    throw new ArgumentBindingError(
      missing[0]!.name ?? missing[0]!.display,
      `${describeSignature(signature)} expects ${required.length} positional arguments (${quotedNames(required)}), found ${found}; ${fixes.join('; ')} (or give the parameter a default)`,
    );
  }
  // Extra arguments are a warning, not an error (ACME's): JS calls ignore them, and a function
  // that only reads taskContext() may be given a list just to set the number of calls.
  const warnings: string[] = [];
  if (!params.some((p) => p.rest) && !signature.usesArguments && positional.length > params.length) {
    warnings.push(
      `${describeSignature(signature)} accepts at most ${params.length} positional arguments (${quotedNames(params)}), found ${positional.length}; the extra ones are ignored (remove them, or add a parameter for them)`,
    );
  }
  return { args: positional, kwargs: hasKwargs ? rest : undefined, warnings };
}

/** `randout(x, y = …)`, for messages. */
function describeSignature(signature: Signature): string {
  return `${signature.name}(${signature.params.map((p) => p.display).join(', ')})`;
}

function quotedNames(params: readonly Parameter[]): string {
  return params.map((p) => `'${p.name ?? p.display}'`).join(', ');
}

function givenTwice(signature: Signature, parameter: string, first: string, second: string): ArgumentBindingError {
  return new ArgumentBindingError(parameter, `${describeSignature(signature)} gets ${parameter} twice: as ${first} and as ${second}; give it once`);
}

function unknownKeywords(signature: Signature, unknown: string[], collector: Parameter | undefined): ArgumentBindingError {
  const names = signature.params.flatMap((p) => (p.name !== undefined && p !== collector ? [p.name] : []));
  const candidates = [...names, ...(collector?.keys ?? [])];
  const each = unknown.map((key) => {
    const suggestion = suggestName(key, candidates);
    return `options.kwargs.${key}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
  });
  const accepted = collector?.keys
    ? `its keyword arguments are its parameter names (${names.join(', ') || 'none'}) and the keys of ${collector.display}`
    : `its keyword arguments are its parameter names (${names.join(', ') || 'none'}); a last parameter { … }, kwargs or ...rest would take other keys as one object`;
  return new ArgumentBindingError(
    unknown[0]!,
    `${each.join(', ')} ${unknown.length === 1 ? 'names' : 'name'} no parameter of ${describeSignature(signature)}; ${accepted}`,
  );
}
