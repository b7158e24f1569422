"""A row group (row_groups.py) -> one generated loop over the rows, each op's integer steps done as
TFLite Micro does them (the runtime's kernels' own element functions, tinyml_elements.h) on values
held in registers, with no intermediate tensors.

Within a row, a value is either a row of C (one per column, computed inside a loop over the
columns) or one value for the row (a MEAN or SUM over the columns, and what follows from such
values alone). A reduction splits the row's work into passes: pass k computes the rows that need
the results of k reductions, and the sums of the reductions they feed. A row needed in a later
pass than its own is kept in a row buffer on the stack."""

from __future__ import annotations

from math import prod

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct
from ..op_groups import OpGroup
from ..reference_tables import ReferenceUnavailable, reference_table
from ..row_groups import REDUCTIONS, row_shapes
from ..symbols import tensor_ref, tensor_symbol
from .elementwise import BINARY_OPS, binary_params
from .operands import OpNotSupported, describe, per_tensor_quantization
from .reduce import reduce_params

# Stack bytes the row buffers of one group may take; above it the ops run one by one.
MAX_ROW_BUFFER_BYTES = 512
ROW_LOOP = "generated row loop"  # the KernelCall's function: its body is generated, not a call


def lower_row_group(graph: Graph, group: OpGroup, path: KernelPath) -> KernelCall | None:
    """The group's kernel call, at its last op; None when the ops are better run one by one (row
    buffers too large for the stack, an op the reference refuses)."""
    try:
        return _RowLoop(graph, group).call()
    except (OpNotSupported, ReferenceUnavailable):
        return None


class _RowLoop:
    def __init__(self, graph: Graph, group: OpGroup):
        self.graph, self.group = graph, group
        self.ops = [graph.operators[index] for index in group.ops]
        self.rows_shape, self.per_row_shape = row_shapes(graph, group.input)
        self.columns = self.rows_shape[-1]
        self.pass_of = {group.input: 0}  # run-time tensor -> the pass that computes it
        for op in self.ops:
            inputs = [self.pass_of[i] for i in op.inputs if i in self.pass_of]
            self.pass_of[op.outputs[0]] = max(inputs) + (1 if op.opcode in REDUCTIONS else 0)
        self.locals: list[LocalConst] = []
        self.tables: list[ConstTable] = []
        self.constants: set[int] = set()

    def is_row(self, index: int) -> bool:
        return self.graph.tensors[index].shape == self.rows_shape and index in self.pass_of

    def buffered(self) -> list[int]:
        """The rows read in a later pass than the one computing them (the input is in memory)."""
        later = {i for op in self.ops for i in op.inputs if self.is_row(i) and i != self.group.input
                 and self.pass_of[i] < self._pass_reading(op)}
        return sorted(later)

    def _pass_reading(self, op: Operator) -> int:
        """The pass whose column loop runs `op` (a reduction sums in its input's pass)."""
        if op.opcode in REDUCTIONS:
            return self.pass_of[op.inputs[0]]
        return self.pass_of[op.outputs[0]]

    def call(self) -> KernelCall:
        graph, group = self.graph, self.group
        buffered = self.buffered()
        if len(buffered) * self.columns > MAX_ROW_BUFFER_BYTES:
            raise OpNotSupported("its row buffers would not fit the stack")
        x, y = graph.tensors[group.input], graph.tensors[group.output]
        row_count = prod(self.rows_shape[:-1])
        y_step = self.columns if self.is_row(y.index) else 1
        body = [f"    int8_t {self.name(i)}_row[{self.columns}];" for i in buffered]
        body += [f"    const int8_t *x = {tensor_ref(x)};",
                 f"    int8_t *y = {tensor_ref(y)};",
                 f"    for (int32_t row = 0; row < {row_count}; row++, x += {self.columns}, y += {y_step}) {{"]
        for number in range(max(self.pass_of.values()) + 1):
            body += self.pass_lines(number, buffered)
        body += ["    }", "    return TINYML_KERNEL_OK;"]
        replaced = ", ".join(f"{op.index} {op.opcode}" for op in self.ops)
        return KernelCall(
            op_index=self.ops[-1].index, opcode="FUSED_ROWS", function=ROW_LOOP, arguments=(),
            reads=(x.index,), writes=(y.index,), constants=tuple(sorted(self.constants)),
            summary=f"{describe(x)} -> {describe(y)}; ops {replaced} in one loop over {row_count} rows "
                    f"of {self.columns}",
            locals=tuple(self.locals), tables=tuple(self.tables), body=tuple(body))

    def pass_lines(self, number: int, buffered: list[int]) -> list[str]:
        """Pass `number` of one row: its one-a-row values, then its loop over the columns."""
        head, loop = [], []
        for op in self.ops:
            out = op.outputs[0]
            if op.opcode in REDUCTIONS:
                if self.pass_of[op.inputs[0]] == number:
                    head.append(f"        int32_t op{op.index}_sum = 0;")
                    loop.append(f"            op{op.index}_sum += {self.value(op.inputs[0], number)};")
                if self.pass_of[out] == number:
                    head.append(f"        const int32_t {self.name(out)} = tinyml_reduce_finish("
                                f"&op{op.index}_params, op{op.index}_sum); /* op {op.index} {op.opcode} */")
                    self.locals.append(LocalConst("tinyml_reduce_params", f"op{op.index}_params",
                                                  c_struct(**reduce_params(self.graph, op))))
            elif self.pass_of[out] == number:
                lines = loop if self.is_row(out) else head
                indent = " " * (12 if self.is_row(out) else 8)
                lines += [indent + line for line in self.element_lines(op, number)]
                if out in buffered:
                    loop.append(f"            {self.name(out)}_row[c] = (int8_t){self.name(out)};")
        if self.pass_of.get(self.group.output) == number:
            target = self.name(self.group.output)
            (loop if self.is_row(self.group.output) else head).append(
                ("            y[c]" if self.is_row(self.group.output) else "        y[0]") + f" = (int8_t){target};")
        if not loop:
            return head
        return [*head, f"        for (int32_t c = 0; c < {self.columns}; c++) {{", *loop, "        }"]

    def element_lines(self, op: Operator, number: int) -> list[str]:
        out = self.name(op.outputs[0])
        note = f"/* op {op.index} {op.opcode} */"
        if op.opcode in BINARY_OPS:
            self.locals.append(LocalConst("tinyml_binary_params", f"op{op.index}_params",
                                          c_struct(**binary_params(self.graph, op))))
            a, b = (self.value(i, number) for i in op.inputs)
            return [f"const int32_t {out} = tinyml_binary_element(&op{op.index}_params, {a}, {b}); {note}"]
        x = self.graph.tensors[op.inputs[0]]
        options = tuple(sorted(op.options.items()))
        table = reference_table(op.opcode, op.options_type, options, per_tensor_quantization(x), "int8",
                                per_tensor_quantization(self.graph.tensors[op.outputs[0]]))
        self.tables.append(ConstTable(f"op{op.index}_table", "int8_t", table.values))
        value = self.value(op.inputs[0], number)
        lines = []
        if table.any_invalid:
            bits = [sum(1 << b for b in range(8) if table.invalid[8 * byte + b]) for byte in range(32)]
            self.tables.append(ConstTable(f"op{op.index}_invalid_inputs", "uint8_t", tuple(bits)))
            lines.append(f"if (tinyml_table_refuses(op{op.index}_invalid_inputs, {value})) {{ "
                         f"return TINYML_KERNEL_ERROR; }} /* {op.opcode} refuses it, as TFLite Micro does */")
        return [*lines, f"const int32_t {out} = op{op.index}_table[{value} + 128]; {note}"]

    def value(self, index: int, number: int) -> str:
        """The C expression of tensor `index`'s value at the current column (or row) in pass `number`."""
        tensor = self.graph.tensors[index]
        if tensor.data is not None:
            self.constants.add(index)
            return f"{tensor_symbol(tensor)}[{'c' if tensor.shape and tensor.shape[-1] > 1 else '0'}]"
        if index == self.group.input:
            return "x[c]"
        if self.is_row(index) and self.pass_of[index] < number:
            return f"{self.name(index)}_row[c]"
        return self.name(index)

    def name(self, index: int) -> str:
        return tensor_symbol(self.graph.tensors[index])

