/**
 * Compiled config and runbooks are shared by every part of the engine; a
 * frozen value cannot be changed behind another part's back.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}
