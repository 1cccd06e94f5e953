"""``python -m pipeline`` runs the same CLI as the ``vidoc`` console script."""

from pipeline.cli import main

if __name__ == "__main__":
    main()
