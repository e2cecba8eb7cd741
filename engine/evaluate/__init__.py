"""`python main.py evaluate`: the paper's captioning scores, computed by the COCO caption toolkit.

coco.py reads and checks COCO references and results, and picks a reproducible subset;
answers.py keeps each image's answer as it is made, so a run resumes where it stopped;
scoring.py calls pycocoevalcap; report.py writes the figures beside the paper's; cli.py is the command.
"""
