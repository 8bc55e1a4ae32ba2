"""Compile a block pass with its arrays marked as not overlapping (LLVM's ``noalias``).

Why: LLVM runs a loop several elements at a time only where it can rule out that what the loop
writes overlaps what it reads. Numba tells it nothing about that, so LLVM checks at run time,
and gives up beyond eight checks (LoopVectorize's ``runtime-memory-check-threshold``): a pass with
three outputs and five inputs already ran one element at a time (the Greeks' last pass, eight
outputs and fifteen inputs, cost 9 ns an option more than it does vectorised). Numba has the
flag that marks every pointer argument ``noalias`` (its parallel loops set it where they have
proved it); :class:`DisjointArrays` sets it for the functions compiled with it.

The promise it makes, which every caller must keep: no array a pass writes overlaps any other
array argument of that pass (reading one array through two arguments is fine). A pass that
updates an array in place takes it as one argument, never as two. Breaking the promise is
undefined behaviour, not an error: the passes that use this say so in their docstrings.
"""

from __future__ import annotations

from numba.core.compiler import CompilerBase, DefaultPassBuilder


class DisjointArrays(CompilerBase):
    """Numba's nopython pipeline with the ``noalias`` flag set."""

    def define_pipelines(self):
        self.state.flags.noalias = True
        return [DefaultPassBuilder.define_nopython_pipeline(self.state)]


#: ``numba.njit`` options of a block pass whose array arguments do not overlap (module docstring).
DISJOINT = {"cache": True, "error_model": "numpy", "pipeline_class": DisjointArrays}
