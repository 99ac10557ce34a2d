from linkcheck.cli import run

run()
