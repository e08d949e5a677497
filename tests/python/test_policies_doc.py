"""The Python example of docs/policies.md runs as written."""

import os
import re

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "policies.md")


def test_the_policy_guide_example_runs():
    with open(DOC) as f:
        text = f.read()
    m = re.search(r"^## Writing a policy in Python\n.*?```python\n(.*?)```", text, re.S | re.M)
    assert m, "no python example under '## Writing a policy in Python'"
    scope = {}
    exec(m.group(1), scope)  # its asserts check every choice
    assert scope["bus"].closed
    assert scope["best_fit"].__doc__.startswith("The batch with the least available stock")
