"""A posttool plug-in: list it in config.json as "plugins": ["/path/to/todo_plugin.py"]."""

from posttool.api import Message, hook


@hook("todo_plugin", matcher="Edit|Write", priority=90)
def todo_plugin(event, state):
    if "TODO" in event.new_text:
        return Message(f"{event.display_path}: new TODO; note it in the task list.", "info")
    return None
