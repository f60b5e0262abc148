/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Intrusive doubly-linked list (kernel style): objects embed a struct list_node. */

#include <stdbool.h>
#include <stddef.h>

struct list_node {
        struct list_node *prev, *next;
};

#define LIST_INIT(name)          \
        {                        \
                &(name), &(name) \
        }

static inline void list_init(struct list_node *head)
{
        head->prev = head->next = head;
}

static inline bool list_empty(const struct list_node *head)
{
        return head->next == head;
}

/* True while the node is on some list (nodes are re-initialised when removed). */
static inline bool list_linked(const struct list_node *n)
{
        return n->next && n->next != n;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
        n->prev = head->prev;
        n->next = head;
        head->prev->next = n;
        head->prev = n;
}

static inline void list_add_before(struct list_node *pos, struct list_node *n)
{
        list_add_tail(pos, n);
}

static inline void list_del(struct list_node *n)
{
        if (!list_linked(n))
                return;
        n->prev->next = n->next;
        n->next->prev = n->prev;
        list_init(n);
}

#define list_entry(ptr, type, member)        ((type *) ((char *) (ptr) -offsetof(type, member)))

#define list_first_entry(head, type, member) list_entry((head)->next, type, member)

#define list_for_each_safe(pos, tmp, head)                               \
        for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
             (pos) = (tmp), (tmp) = (pos)->next)
