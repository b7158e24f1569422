"""A table group (table_groups.py) -> one look-up per element, the table computed at build time by
TFLite Micro's reference running the group's ops: tinyml_lut_s8 when every position shares one
table, tinyml_lut_channels_s8 when a constant makes it vary along one axis."""

from __future__ import annotations

from math import prod

from ...graph import Graph
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, kernel_arguments
from ..reference_tables import ReferenceUnavailable, group_table
from ..symbols import tensor_ref
from ..op_groups import OpGroup
from .operands import describe, elements

# Flash one group's per-channel table may take (256 bytes a channel): above it the ops run one by one.
MAX_TABLE_BYTES = 4096


def lower_table_group(graph: Graph, group: OpGroup, path: KernelPath) -> KernelCall | None:
    """The group's kernel call, at its last op; None when its ops are better run one by one (the
    reference refuses them, the answers are no table, or the table would be too large)."""
    try:
        table = group_table(graph, group)
    except ReferenceUnavailable:
        return None
    if table is None or table.values.size > MAX_TABLE_BYTES:
        return None
    x, y = graph.tensors[group.input], graph.tensors[group.output]
    last = graph.operators[group.ops[-1]]
    name = f"op{last.index}_table"
    tables = [ConstTable(name, "int8_t", tuple(int(v) for v in table.values.reshape(-1)))]
    replaced = ", ".join(f"{index} {graph.operators[index].opcode}" for index in group.ops)
    if table.axis is None:
        invalid = "NULL"
        if any(table.invalid):
            bits = [sum(1 << b for b in range(8) if table.invalid[8 * byte + b]) for byte in range(32)]
            tables.append(ConstTable(f"op{last.index}_invalid_inputs", "uint8_t", tuple(bits)))
            invalid = tables[-1].name
        function = "tinyml_lut_s8"
        arguments = kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y), size=elements(y),
                                     table=name, invalid=invalid)
        kind = "one 256-entry table"
    else:
        shape = x.shape
        function = "tinyml_lut_channels_s8"
        arguments = kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y),
                                     outer=prod(shape[:table.axis]), channels=shape[table.axis],
                                     inner=prod(shape[table.axis + 1:]), table=name)
        kind = f"{shape[table.axis]} 256-entry tables, one per index of axis {table.axis}"
    refused = sum(table.invalid)
    note = f"; {refused} input value(s) refused as TFLite Micro does" if refused else ""
    return KernelCall(op_index=last.index, opcode="FUSED_TABLE", function=function, arguments=arguments,
                      reads=(x.index,), writes=(y.index,),
                      summary=f"{describe(x)} -> {describe(y)}; ops {replaced} as {kind} from TFLite "
                              f"Micro{note}",
                      tables=tuple(tables))
