import * as tf from '@tensorflow/tfjs-core';

/** One parameter the optimizer updates, and where it sits in its group's buffer. */
export interface Slot {
  /** Dotted name (checkpoint keys, decay filter). */
  name: string;
  variable: tf.Variable;
  decays: boolean;
  group: Group;
}

/**
 * Parameters stacked along axis 0 into one buffer: same rank, same trailing dimensions. Such
 * tensors concatenate and split without any reshape (a scalar is stored as one row), so a step
 * over a group costs one concat per operand and one split instead of one kernel per operation per
 * parameter, and elementwise work over the buffer is bit-identical to the same work per
 * parameter. Decayed and plain parameters share a group (the optimizer scales the decayed rows
 * by a per-row factor): a separate group for each cost a whole update's kernels more per step.
 */
export interface Group {
  /** The key of the group's packed gradient in a {@link packGradients} map. */
  key: string;
  slots: Slot[];
  /** Rows of each slot along axis 0 (1 for a scalar). */
  rows: number[];
  /** Shape of the buffer: [Σ rows, ...trailing]. */
  shape: number[];
  m: tf.Variable;
  v: tf.Variable;
  /**
   * Multi-member groups: the stacked parameters the last step assigned, and the data each member
   * was then given ({@link packedParameters}).
   */
  values?: { buffer: tf.Tensor; dataIds: object[] };
}

/**
 * Prefix of packed-gradient keys; the NUL cannot occur in a tfjs variable name a model makes
 * (they are numbers or dotted names), so a packed key never shadows a parameter's.
 */
const PACKED = '\u0000packed:';

/** Whether `key` names a packed group buffer rather than one parameter's gradient. */
export function isPackedKey(key: string): boolean {
  return key.startsWith(PACKED);
}

/**
 * Groups `parameters` (in order of first appearance; a group that would pass `maxElements`
 * elements is closed and a new one opened) and gives each group zero moments.
 */
export function groupSlots(
  parameters: ReadonlyArray<{ name: string; variable: tf.Variable; decays: boolean }>,
  maxElements = Number.POSITIVE_INFINITY,
): { slots: Slot[]; groups: Group[] } {
  const byKey = new Map<string, Group>();
  const slots: Slot[] = [];
  const open = new Map<string, Group>();
  for (const { name, variable, decays } of parameters) {
    const trailing = variable.shape.slice(1);
    const id = `rank ${variable.rank} [*,${trailing.join(',')}]`;
    let group = open.get(id);
    const size = (g: Group) => g.shape.reduce((a, b) => a * b, 1);
    if (group && size(group) + variable.size > maxElements) group = undefined;
    if (!group) {
      group = {
        key: `${PACKED}${byKey.size} (${id})`,
        slots: [],
        rows: [],
        shape: [0, ...trailing],
        m: undefined as unknown as tf.Variable,
        v: undefined as unknown as tf.Variable,
      };
      byKey.set(group.key, group);
      open.set(id, group);
    }
    const slot: Slot = { name, variable, decays, group };
    const rows = variable.rank === 0 ? 1 : variable.shape[0]!;
    group.slots.push(slot);
    group.rows.push(rows);
    group.shape[0]! += rows;
    slots.push(slot);
  }
  const groups = [...byKey.values()];
  for (const group of groups) {
    group.m = tf.tidy(() => tf.variable(tf.zeros(group.shape, 'float32'), false));
    group.v = tf.tidy(() => tf.variable(tf.zeros(group.shape, 'float32'), false));
    // Made here, not on the first step, so the number of tensors is the same before and after it.
    if (group.slots.length > 1) {
      const buffer = tf.keep(stackParameters(group));
      group.values = { buffer, dataIds: dataIdsOf(group) };
    }
  }
  return { slots, groups };
}

/** The group's parameters as they are now, stacked into its buffer shape (a new tensor). */
function stackParameters(group: Group): tf.Tensor {
  return concatRows(
    group,
    group.slots.map((s) => s.variable),
  );
}

function dataIdsOf(group: Group): object[] {
  return group.slots.map((s) => s.variable.dataId);
}

/**
 * The group's parameters stacked into its buffer shape. A step assigns each member its rows of
 * the updated buffer, so while every member still holds exactly that data (nothing assigned it
 * since: a tfjs variable changes only by `assign`, which gives it new data) the buffer kept from
 * the last step is the stack, and the concat — one copy of every parameter per group and step —
 * is skipped. Otherwise (a loaded state dict, a partial update, any other assign) it is rebuilt.
 * The result belongs to the group: do not dispose it.
 */
export function packedParameters(group: Group): tf.Tensor {
  const values = group.values;
  if (!values) return stackParameters(group);
  if (group.slots.some((s, i) => s.variable.dataId !== values.dataIds[i])) {
    values.buffer.dispose();
    values.buffer = tf.keep(stackParameters(group));
    values.dataIds = dataIdsOf(group);
  }
  return values.buffer;
}

/**
 * Assigns each member of `group` its rows of `buffer` (the updated stack) and keeps `buffer` as
 * the group's {@link packedParameters} (it must not be disposed by the caller then).
 */
export function assignPacked(group: Group, buffer: tf.Tensor): void {
  const parts = splitRows(group, buffer);
  group.slots.forEach((slot, i) => {
    slot.variable.assign(parts[i]!);
  });
  if (!group.values) return;
  group.values.buffer.dispose();
  group.values = { buffer: tf.keep(buffer), dataIds: dataIdsOf(group) };
}

/** Rows of `tensors` (one per slot of `group`, slot shapes) stacked into the group's shape. */
export function concatRows(group: Group, tensors: tf.Tensor[]): tf.Tensor {
  const rows = group.shape.length === 1 && group.slots[0]!.variable.rank === 0;
  const parts = rows ? tensors.map((t) => tf.reshape(t, [1])) : tensors;
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
}

/** The inverse of {@link concatRows}: `buffer` split back into tensors shaped like the slots. */
export function splitRows(group: Group, buffer: tf.Tensor): tf.Tensor[] {
  const parts = group.slots.length === 1 ? [buffer] : tf.split(buffer, group.rows, 0);
  return parts.map((part, i) => {
    const shape = group.slots[i]!.variable.shape;
    return shape.length === 0 ? tf.reshape(part, []) : part;
  });
}

/**
 * Gradients packed into one buffer per complete group (keyed by the group's key); gradients of
 * groups with a missing member stay per parameter (cloned, so the caller owns every tensor of
 * the result and disposes `grads` separately).
 */
export function packGradients(groups: Group[], grads: tf.NamedTensorMap): tf.NamedTensorMap {
  return tf.tidy(() => {
    const packed: tf.NamedTensorMap = {};
    for (const group of groups) {
      const members = group.slots.map((s) => grads[s.variable.name]);
      if (members.every((g) => g !== undefined)) {
        const buffer = concatRows(group, members as tf.Tensor[]);
        // A single member is the caller's own tensor: clone it so the result owns its buffer.
        packed[group.key] =
          group.slots.length === 1 && buffer === members[0] ? tf.clone(buffer) : buffer;
      } else {
        for (const [i, slot] of group.slots.entries()) {
          if (members[i]) packed[slot.variable.name] = tf.clone(members[i]!);
        }
      }
    }
    return packed;
  });
}
