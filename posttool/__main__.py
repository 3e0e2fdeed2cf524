from posttool.runner.main import entry

entry()
