/**
 * A small glob matcher for paths relative to a directory, '/'-separated.
 *
 * Node 20 has path.matchesGlob, but it is experimental there (it prints an
 * ExperimentalWarning and may change), and deciding which files get deleted
 * should not rest on that. This one is deliberately small:
 *
 *   *       any characters within one path segment (dotfiles included)
 *   ?       one character within a segment
 *   [abc]   one of the characters; [!abc] or [^abc] none of them; [a-z] ranges
 *   {a,b}   either alternative, within one segment (not nested)
 *   **      as a whole segment: zero or more segments ("a/**\/*.gz");
 *           as the last segment: everything below ("a/**")
 *   \x      x literally
 *
 * Patterns are relative and cannot climb: no leading '/', no empty, '.' or
 * '..' segments. A '**' that is not a whole segment is an error rather than
 * a guess at what was meant.
 */

export interface Glob {
  readonly pattern: string;
  /** How many segments deep a match can be; Infinity with '**'. Lets a walk skip directories that cannot match. */
  readonly maxDepth: number;
  matches(relativePath: string): boolean;
}

export class GlobError extends Error {
  override readonly name = 'GlobError';
}

export function compileGlob(pattern: string): Glob {
  if (pattern === '') throw new GlobError('the pattern is empty');
  if (pattern.includes('\0')) throw new GlobError('the pattern contains a NUL byte');
  if (pattern.startsWith('/')) throw new GlobError('the pattern must be relative (no leading /)');
  const segments = pattern.split('/');
  let source = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '' || seg === '.' || seg === '..') throw new GlobError(`segment ${i + 1} of the pattern is ${seg === '' ? 'empty' : `"${seg}"`}`);
    if (seg === '**') {
      // The previous segment already ended with '/'.
      source += last ? '.+' : '(?:[^/]+/)*';
      return;
    }
    if (seg.includes('**')) throw new GlobError(`"**" must be a whole segment, as in "a/**/b" (found "${seg}")`);
    source += translateSegment(seg) + (last ? '' : '/');
  });
  const re = new RegExp(`^${source}$`, 'u');
  return {
    pattern,
    maxDepth: segments.includes('**') ? Infinity : segments.length,
    matches: (p) => re.test(p),
  };
}

function translateSegment(seg: string, inBrace = false): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\') {
      const next = seg[i + 1];
      if (next === undefined) throw new GlobError('the pattern ends with a lone backslash');
      out += escapeRegex(next);
      i++;
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      // Inside a class only '\', ']' and '^' mean something to RegExp; '-' keeps its range meaning.
      const cls = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      out += negate ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else if (c === '{' && !inBrace) {
      const end = seg.indexOf('}', i + 1);
      if (end === -1) {
        out += '\\{';
        continue;
      }
      const alts = seg.slice(i + 1, end).split(',');
      out += `(?:${alts.map((a) => translateSegment(a, true)).join('|')})`;
      i = end;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
