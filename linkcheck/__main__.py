"""`python -m linkcheck`: the same command as the `linkcheck` script."""

from linkcheck.entry import run

if __name__ == "__main__":
    run()
