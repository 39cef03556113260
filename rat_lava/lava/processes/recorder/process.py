"""Recorder: what several OutPorts send at every time step, passed to the host in one message.

Lava's ``Extractor`` takes one OutPort, and the CPU simulator runs every process in its own OS
process and synchronises all of them every step, so recording n ports with Extractors costs n
extra processes. A ``Recorder`` receives from n ports (``in_0`` .. ``in_{n-1}``) and sends their
messages concatenated, in port order, through one host pipe (like ``Extractor.out_port``), so
``rat_lava.lava.io.receive_all`` reads it as it reads an Extractor. Host-side only: on Loihi 2 it
runs as its Python model on the host, like Lava's Extractor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess


def split_columns(messages: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """Messages (T, sum(sizes)) cut into consecutive column blocks [(T, sizes[i])]."""
    return np.split(messages, np.cumsum(sizes)[:-1], axis=1)


def port_name(index: int) -> str:
    """Name of the Recorder's InPort number ``index``."""
    return f"in_{index}"


class Recorder(AbstractProcess):
    """Records n OutPorts every time step.

    Parameters
    ----------
    sizes: message length of each recorded port (n >= 1 entries, each >= 1).
    buffer_size: messages (time steps) the host pipe holds; the simulation stalls when it is
        full, so size it to the steps run between two reads.

    Ports
    -----
    in_0 .. in_{n-1}: InPort (sizes[i],), connect the recorded OutPorts here (``inputs``).
    out_port: OutPort (sum(sizes),), piped to the host; one message per time step.
    """

    def __init__(self, *, sizes: Sequence[int], buffer_size: int, name: str | None = None):
        sizes = tuple(int(size) for size in sizes)
        super().__init__(sizes=sizes, name=name)
        if not sizes or min(sizes) < 1:
            raise ValueError(f"a Recorder needs at least one port of size >= 1, got {sizes}")
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1, got {buffer_size}")
        self.sizes = sizes
        for index, size in enumerate(sizes):
            setattr(self, port_name(index), InPort(shape=(size,)))
        self.out_port = OutPort(shape=(sum(sizes),))
        self.out_port.flag_external_pipe(buffer_size=buffer_size)

    @property
    def inputs(self) -> list[InPort]:
        """The InPorts, in the order of ``sizes``."""
        return [getattr(self, port_name(index)) for index in range(len(self.sizes))]

    def receive(self) -> np.ndarray:
        """The next message, (sum(sizes),); blocks until the model has sent it."""
        return self.out_port.external_pipe_csp_recv_port.recv()

    def split(self, messages: np.ndarray) -> list[np.ndarray]:
        """Messages (T, sum(sizes)) cut into what each port sent, [(T, sizes[i])]."""
        return split_columns(messages, self.sizes)
