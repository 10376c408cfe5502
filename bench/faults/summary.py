"""Prints the figures of a fault-suite run (the JSON files of FAULTS_REPORT_DIR) as Markdown."""

import json
import sys
from pathlib import Path


def main(folder: str) -> None:
    for path in sorted(Path(folder).glob("*.json")):
        figures = json.loads(path.read_text())
        print(f"### {figures.pop('scenario')} ({figures.pop('scale')} scale)\n")
        print("| figure | value |\n|---|---|")
        for name, value in figures.items():
            print(f"| {name.replace('_', ' ')} | {value} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
