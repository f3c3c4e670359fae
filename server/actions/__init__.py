"""One module per thing a person or device can do, grouped by resource.

Each action declares its input, who may run it and what it changes; the executor
(``server/executor.py``) runs it the same way for HTTP, socket.io and the command line.
"""
