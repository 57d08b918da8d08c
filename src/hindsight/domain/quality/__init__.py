"""Quality management's pure rules: answer sets and comment tags, scores, offsets, texts."""
