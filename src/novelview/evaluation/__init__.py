"""Scoring models on a data set: pairs -> predictions -> metrics -> tables, figures and reports.

- ``evaluate.py``: ``evaluate()``, the whole run behind ``novelview evaluate``;
- ``scoring.py``: every registered metric of one predictor on a table of pairs;
- ``predictors.py``: a model, and the trivial baselines it is reported beside;
- ``report.py``: the printed, CSV, Markdown and HTML tables;
- ``figures.py``: error by angle and the sample grid;
- ``suite.py``: every test set at once (``novelview suite``).
"""
