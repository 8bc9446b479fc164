"""PHE's worked example of an abridged life table (PHE life expectancy calculator, 2017):
ages at the start of each band, populations and deaths. Shared by the life-expectancy,
healthy life expectancy and decomposition tests."""

AGES = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
# fmt: off
POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
        50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
          1390, 1605, 1936, 1937]
# fmt: on
