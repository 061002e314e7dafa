import humanize


def main():
    print(humanize.intcomma(1234567))
