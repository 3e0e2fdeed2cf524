#!/bin/sh
# A posttool command hook: the event's JSON arrives on stdin; what it prints reaches the model.
if grep -q 'TODO'; then
  echo "A TODO was written: add it to the task list before you finish."
fi
