"""`subsidy demo` plays only on a running local stack, and says why it will not play elsewhere."""

import socket

import pytest

from services.demo.play import NotPlayable, Stack


def test_the_demo_refuses_another_machine_and_a_stack_that_is_not_running(tmp_path):
    with pytest.raises(NotPlayable, match="only against a local development stack"):
        Stack.find("10.1.2.3", 8000, tmp_path)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NotPlayable, match=r"no running stack answers .*`make run`"):
        Stack.find("127.0.0.1", port, tmp_path)
