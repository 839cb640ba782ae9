"""``novelview doctor``: check a folder novelview wrote, say what is wrong, and repair what is safe.

- ``examine.py``: the command (which kind of folder, the findings, the repairs);
- ``data_sets.py``: data sets and unfinished renders;
- ``runs.py``: run folders and export folders.
"""
