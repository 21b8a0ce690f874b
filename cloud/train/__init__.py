"""``vitrine-cloud train``: the recommender's training and release command (see cloud/training.py)."""
